#!/usr/bin/env node
// Submits a task to agentlog and prints its result as JSON.
//
// The task goes to agentlog.tasks as a JSON object keyed by a new session id, produced with kafkajs's default
// partitioner (in kafkajs 2 the Java client's murmur2; kafkajs 1's default is now Partitioners.LegacyPartitioner —
// any partitioner will do, the engine moves a record to its key's partition). The
// result is read from agentlog.results (read_committed) and decoded from Avro single-object encoding with avsc and
// the schemas in the repository's schemas/src/main/avro.
//
//   npm ci && node submit-task.js --bootstrap-servers 127.0.0.1:9092 --agent demo --timeout 60 "Write a note"
//
// Exit status: 0 when the result arrived (whatever its status), 1 on an error (printed on stderr): broker not
// reachable, no result within the timeout, a result that cannot be decoded; 2 on bad arguments.
'use strict';

// kafkajs 2 prints a warning on every producer that its default partitioner changed in 2.0.0; this example wants
// the (new) default, so the warning is silenced rather than answered with createPartitioner.
process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';

const crypto = require('crypto');
const fs = require('fs');
const path = require('path');
const { parseArgs } = require('util');

const TASKS = 'agentlog.tasks';
const RESULTS = 'agentlog.results';
const RESULT_SCHEMA = 'io.agentlog.schemas.avro.SessionResult';
const SCHEMAS_DIR = path.resolve(__dirname, '..', '..', 'schemas', 'src', 'main', 'avro');
const SESSION_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
// Avro single-object encoding: these two bytes, the writer schema's CRC-64-AVRO fingerprint (8 bytes,
// little-endian), then the Avro binary datum.
const MARKER = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = 10;

/** A failure the user can act on: printed as one line, no stack trace. */
class ExampleError extends Error {}

let avro;
let kafkajs;
try {
  avro = require('avsc');
  kafkajs = require('kafkajs');
} catch (missing) {
  fail(`${missing.message.split('\n')[0]}: run \`npm ci\` in ${__dirname} first`);
}

// --- Avro single-object decoding ------------------------------------------------------------------------------

const CRC64_EMPTY = 0xc15d213aa4d7a795n;
const CRC64_TABLE = Array.from({ length: 256 }, (_, i) => {
  let fp = BigInt(i);
  for (let bit = 0; bit < 8; bit++) {
    fp = (fp >> 1n) ^ (CRC64_EMPTY & -(fp & 1n));
  }
  return fp;
});

/** The CRC-64-AVRO fingerprint of the Avro specification, as 8 little-endian bytes. */
function crc64Avro(bytes) {
  let fp = CRC64_EMPTY;
  for (const byte of bytes) {
    fp = (fp >> 8n) ^ CRC64_TABLE[Number((fp ^ BigInt(byte)) & 0xffn)];
  }
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE(fp);
  return out;
}

/** Every .avsc file under dir, parsed into one registry; a file that names a type of a file not parsed yet is
 * retried after the others. */
function loadSchemas(dir) {
  const pending = new Map();
  const walk = (d) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(d, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.avsc')) pending.set(file, JSON.parse(fs.readFileSync(file, 'utf8')));
    }
  };
  try {
    walk(dir);
  } catch (error) {
    throw new ExampleError(`cannot read the Avro schemas under ${dir}: ${error.message}; pass --schemas DIR`);
  }
  if (pending.size === 0) throw new ExampleError(`no Avro schemas (*.avsc) under ${dir}; pass --schemas DIR`);
  let registry = {};
  while (pending.size > 0) {
    let parsed = false;
    let lastError;
    for (const [file, schema] of pending) {
      const trial = { ...registry }; // a failed parse must not leave half a file behind
      try {
        avro.Type.forSchema(schema, { registry: trial });
      } catch (error) {
        lastError = `cannot parse ${file}: ${error.message}`;
        continue;
      }
      registry = trial;
      pending.delete(file);
      parsed = true;
    }
    if (!parsed) throw new ExampleError(lastError);
  }
  return registry;
}

function singleObjectDecoder(type) {
  // avsc's schema() is the Parsing Canonical Form the fingerprint is computed on
  const fingerprint = crc64Avro(Buffer.from(JSON.stringify(type.schema()), 'utf8'));
  return (value) => {
    if (!value || value.length < HEADER_LENGTH || !value.subarray(0, 2).equals(MARKER)) {
      throw new ExampleError('undecodable record: not Avro single-object encoding (no C3 01 marker)');
    }
    const found = value.subarray(2, HEADER_LENGTH);
    if (!found.equals(fingerprint)) {
      throw new ExampleError(
        `undecodable record: its schema fingerprint ${found.toString('hex')} is not the one of ${type.name} ` +
          `here (${fingerprint.toString('hex')}): the engine writes another version of the schema than the one loaded`,
      );
    }
    try {
      return type.fromBuffer(value.subarray(HEADER_LENGTH));
    } catch (error) {
      throw new ExampleError(`undecodable record: ${error.message}`);
    }
  };
}

/** Timestamps (timestamp-millis, decoded by avsc as numbers) as ISO-8601 text, as the agentlog CLI prints them. */
function plainJson(result) {
  const out = { ...result };
  for (const field of ['startedAt', 'finishedAt']) {
    if (typeof out[field] === 'number') out[field] = new Date(out[field]).toISOString();
  }
  return JSON.stringify(out);
}

// --- Kafka ----------------------------------------------------------------------------------------------------

function withDeadline(promise, deadline, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new ExampleError(what)), Math.max(deadline - Date.now(), 1));
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function kafkaMessage(error) {
  return error instanceof ExampleError ? error.message : `${error.name}: ${error.message}`;
}

async function run(args) {
  const deadline = Date.now() + args.timeout * 1000;
  const decode = singleObjectDecoder(loadSchemas(args.schemas)[RESULT_SCHEMA] || fail(`no ${RESULT_SCHEMA}`));
  const sessionId = args.sessionId || `node-${crypto.randomUUID()}`;
  const kafka = new kafkajs.Kafka({
    clientId: 'agentlog-node-example',
    brokers: args.bootstrapServers.split(','),
    logLevel: kafkajs.logLevel.NOTHING, // connection errors are reported once, below
    connectionTimeout: Math.min(args.timeout * 1000, 10000),
    retry: { retries: 3, maxRetryTime: 2000 },
  });

  const admin = kafka.admin();
  let ends;
  try {
    await withDeadline(admin.connect(), deadline, `within ${args.timeout} s`);
    const topics = await withDeadline(admin.listTopics(), deadline, `within ${args.timeout} s`);
    for (const topic of [TASKS, RESULTS]) {
      if (!topics.includes(topic)) {
        throw new ExampleError(
          `topic ${topic} does not exist on ${args.bootstrapServers}: create the topics first ` +
            '(agentlog topics create, or a running local stack)',
        );
      }
    }
    // the end of every results partition now: the result of the task produced below comes after it
    ends = await admin.fetchTopicOffsets(RESULTS);
  } catch (error) {
    if (error instanceof ExampleError && error.message.startsWith('topic ')) throw error;
    throw new ExampleError(`broker not reachable at ${args.bootstrapServers} (${kafkaMessage(error)})`);
  } finally {
    await admin.disconnect();
  }

  // kafkajs consumers always join a group (there is no assign()): a fresh one, nothing committed, left on exit
  const consumer = kafka.consumer({ groupId: `agentlog-example-${crypto.randomUUID()}`, readUncommitted: false });
  const producer = kafka.producer(); // the default partitioner
  try {
    let resolveResult;
    let rejectResult;
    const result = new Promise((resolve, reject) => {
      resolveResult = resolve;
      rejectResult = reject;
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [RESULTS] });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (message.key && message.key.toString('utf8') === sessionId) {
          try {
            resolveResult(decode(message.value));
          } catch (error) {
            rejectResult(error);
          }
        }
      },
    });
    for (const { partition, high } of ends) consumer.seek({ topic: RESULTS, partition, offset: high });

    await producer.connect();
    await withDeadline(
      producer.send({
        topic: TASKS,
        messages: [{ key: sessionId, value: JSON.stringify({ agent: args.agent, input: args.input }) }],
      }),
      deadline,
      `timed out submitting the task to ${TASKS}`,
    );
    console.error(`submitted session ${sessionId} to agent ${args.agent}`);
    const decoded = await withDeadline(
      result,
      deadline,
      `no result for session ${sessionId} within ${args.timeout} s (is an engine running, and agent ` +
        `${args.agent} registered?)`,
    );
    console.log(plainJson(decoded));
  } catch (error) {
    throw error instanceof ExampleError ? error : new ExampleError(kafkaMessage(error));
  } finally {
    await Promise.allSettled([producer.disconnect(), consumer.disconnect()]);
  }
}

function fail(message, status = 1) {
  process.stderr.write(`submit-task.js: ${message}\n`);
  process.exit(status);
}

const USAGE = `usage: submit-task.js [--bootstrap-servers HOSTS] --agent NAME [--timeout SECONDS]
                      [--session-id ID] [--schemas DIR] INPUT

Submit a task to agentlog (JSON on agentlog.tasks, kafkajs's default partitioner) and print its result
(Avro on agentlog.results, decoded) as JSON.

  INPUT                      the task's input, what the agent is asked to do
  --bootstrap-servers HOSTS  Kafka bootstrap servers (default: 127.0.0.1:9092)
  --agent NAME               the registered agent's name (required)
  --timeout SECONDS          seconds to wait for the broker and the result (default: 60)
  --session-id ID            the session id (default: node-<random uuid>)
  --schemas DIR              directory of the .avsc files (default: the repository's, ${SCHEMAS_DIR})
`;

function parse(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        'bootstrap-servers': { type: 'string', default: '127.0.0.1:9092' },
        agent: { type: 'string' },
        timeout: { type: 'string', default: '60' },
        'session-id': { type: 'string' },
        schemas: { type: 'string', default: SCHEMAS_DIR },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    fail(`${error.message}\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const timeout = Number(values.timeout);
  if (!values.agent) fail(`--agent is required\n${USAGE}`, 2);
  if (positionals.length !== 1) fail(`one INPUT expected, got ${positionals.length}\n${USAGE}`, 2);
  if (!(timeout > 0)) fail(`--timeout must be a positive number of seconds, got '${values.timeout}'`, 2);
  if (values['session-id'] !== undefined && !SESSION_ID.test(values['session-id'])) {
    fail(`--session-id must match ${SESSION_ID.source}, got '${values['session-id']}'`, 2);
  }
  return {
    bootstrapServers: values['bootstrap-servers'],
    agent: values.agent,
    input: positionals[0],
    timeout,
    sessionId: values['session-id'],
    schemas: values.schemas,
  };
}

run(parse(process.argv.slice(2))).then(
  () => process.exit(0),
  (error) => fail(error instanceof ExampleError ? error.message : (error && error.stack) || String(error)),
);
