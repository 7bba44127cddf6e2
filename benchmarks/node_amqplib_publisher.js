// A node amqplib publisher, as a careful user would write one: the fastest baseline of bench_publish.py.
//
// Builds COUNT distinct call.ended events (crypto.randomUUID id, current timestamp, JSON.stringify
// body, per-message properties) and publishes them persistent and mandatory on a ConfirmChannel,
// with at most WINDOW unconfirmed. Prints the confirmed count and the seconds spent publishing.
//
//     node benchmarks/node_amqplib_publisher.js URL EXCHANGE COUNT [WINDOW]
//
// amqplib is looked up through NODE_PATH (bench_publish.py installs it in a scratch folder).
"use strict";

const amqp = require("amqplib");
const crypto = require("crypto");

const OUTCOMES = ["completed", "callback_requested", "voicemail", "failed"];

function event() {
  const id = crypto.randomUUID();
  const body = {
    id, type: "call.ended", source: "communications", timestamp: new Date().toISOString(),
    organizationId: "org-1", userId: "user-1",
    data: {
      call_id: "call-" + crypto.randomBytes(6).toString("hex"),
      duration: 5 + Math.floor(Math.random() * 896),
      outcome: OUTCOMES[Math.floor(Math.random() * OUTCOMES.length)],
      transcript: null,
    },
    metadata: { version: "1.0.0", module: "cc-lite" },
  };
  return [id, Buffer.from(JSON.stringify(body))];
}

async function main() {
  const [url, exchange, countText, windowText] = process.argv.slice(2);
  const count = Number(countText);
  const window = Number(windowText || 1000);
  const start = process.hrtime.bigint();
  const connection = await amqp.connect(url);
  const channel = await connection.createConfirmChannel();
  let returned = 0;
  channel.on("return", () => { returned += 1; });
  let sent = 0;
  let acked = 0;
  let nacked = 0;
  let outstanding = 0;
  await new Promise((resolve) => {
    const settle = (err) => {
      outstanding -= 1;
      if (err) nacked += 1; else acked += 1;
      if (acked + nacked === count) resolve();
      else pump();
    };
    const pump = () => {
      while (outstanding < window && sent < count) {
        const [id, body] = event();
        sent += 1;
        outstanding += 1;
        channel.publish(exchange, "comms.call.ended", body, {
          persistent: true, mandatory: true, contentType: "application/json", messageId: id, type: "call.ended",
          headers: { organizationId: "org-1" },
        }, settle);
      }
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await connection.close();
  console.log(acked, seconds, nacked, returned);
}

main().catch((err) => { console.error(err); process.exit(1); });
