// The spec's web client example (ottoai-realtime-events.md, "Web Client (JavaScript)"), with node's
// `ws` package: welcome -> subscribe to tenant:${message.tenant_id}:events -> answer every ping.
// It prints what it sees as JSON lines and exits 0 once it has an event and has answered two pings.
const WebSocket = require('ws');
const [url, clerkToken] = process.argv.slice(2);

const ws = new WebSocket(url, {
  headers: {
    'Authorization': `Bearer ${clerkToken}`
  }
});
let pings = 0;
let events = 0;

ws.onmessage = (event) => {
  const message = JSON.parse(event.data);

  switch (message.type) {
    case 'welcome':
      console.log(JSON.stringify({welcome: message.tenant_id, user: message.user_id}));
      ws.send(JSON.stringify({
        type: 'subscribe',
        channel: `tenant:${message.tenant_id}:events`
      }));
      break;

    case 'ping':
      pings += 1;
      ws.send(JSON.stringify({type: 'pong'}));
      break;

    case 'subscribe_result':
      console.log(JSON.stringify({subscribed: message.channel, success: message.success}));
      break;

    default:
      if (message.event) {
        events += 1;
        console.log(JSON.stringify({event: message.event, tenant: message.tenant_id}));
      }
  }
  if (events > 0 && pings >= 2) {
    ws.close();
    process.exit(0);
  }
};
ws.onerror = (error) => { console.error(String(error.message)); process.exit(2); };
ws.onclose = (close) => { console.error(`closed ${close.code} ${close.reason}`); process.exit(4); };
setTimeout(() => { console.error('timeout'); process.exit(3); }, 30000);
