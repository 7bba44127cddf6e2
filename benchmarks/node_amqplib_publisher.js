// A node amqplib publisher, as a careful user would write one: the fastest baseline of bench_publish.py.
//
// Builds COUNT distinct call.ended events (crypto.randomUUID id, current timestamp, JSON.stringify
// body, per-message properties) and publishes them persistent and mandatory on a ConfirmChannel,
// with at most WINDOW unconfirmed. Prints the confirmed count and the seconds spent publishing.
// SHAPE "same" (the default) sends the messages ocelot sends: its properties (content type and
// encoding, organizationId and source headers, persistent, message id, timestamp, type, app id)
// and a transcript that fits the outcome; "minimal" sends fewer properties and no transcript, fewer
// bytes for the broker to handle: the strongest baseline, not the same job.
//
//     node benchmarks/node_amqplib_publisher.js URL EXCHANGE COUNT [WINDOW] [same|minimal]
//
// amqplib is looked up through NODE_PATH (bench_publish.py installs it in a scratch folder).
"use strict";

const amqp = require("amqplib");
const crypto = require("crypto");

const OUTCOMES = ["completed", "callback_requested", "voicemail", "failed"];
const TRANSCRIPTS = {
  completed: "Customer confirmed the installation date and thanked the agent.",
  callback_requested: "Customer wants a callback tomorrow at 2pm to discuss pricing.",
  voicemail: "Left a voicemail about the pending quote.",
  failed: null,
};

function event(same) {
  const id = crypto.randomUUID();
  const outcome = OUTCOMES[Math.floor(Math.random() * OUTCOMES.length)];
  const now = new Date();
  const body = {
    id, type: "call.ended", source: "communications", timestamp: now.toISOString(),
    organizationId: "org-1a2b3c", userId: "user-4d5e6f",
    data: {
      call_id: "call-" + crypto.randomBytes(6).toString("hex"),
      duration: outcome === "failed" && same ? 0 : 5 + Math.floor(Math.random() * 896),
      outcome,
      transcript: same ? TRANSCRIPTS[outcome] : null,
    },
    metadata: { version: "1.0.0", module: "cc-lite" },
  };
  const options = same
    ? {
      persistent: true, mandatory: true, contentType: "application/json", contentEncoding: "utf-8",
      headers: { organizationId: body.organizationId, source: body.source }, messageId: id,
      timestamp: Math.floor(now.getTime() / 1000), type: "call.ended", appId: "ocelot/0.1.0",
    }
    : {
      persistent: true, mandatory: true, contentType: "application/json", messageId: id, type: "call.ended",
      headers: { organizationId: body.organizationId },
    };
  return [Buffer.from(JSON.stringify(body)), options];
}

async function main() {
  const [url, exchange, countText, windowText] = process.argv.slice(2, 6);
  const count = Number(countText);
  const window = Number(windowText || 1000);
  const same = (process.argv[6] || "same") === "same";
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
        const [body, options] = event(same);
        sent += 1;
        outstanding += 1;
        channel.publish(exchange, "comms.call.ended", body, options, settle);
      }
    };
    pump();
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  await connection.close();
  console.log(acked, seconds, nacked, returned);
}

main().catch((err) => { console.error(err); process.exit(1); });
