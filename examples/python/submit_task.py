#!/usr/bin/python3
"""Submits a task to agentlog and prints its result as JSON.

The task goes to agentlog.tasks as a JSON object keyed by a new session id, produced with
confluent-kafka's default partitioner (librdkafka's, which hashes keys with CRC32, not the Java
client's murmur2: the engine moves the record to its key's partition). The result is read from
agentlog.results with isolation.level=read_committed and decoded from Avro single-object encoding
with the schemas in the repository's schemas/src/main/avro.

Needs Debian's python3-confluent-kafka and python3-avro (run it with /usr/bin/python3).

    examples/python/submit_task.py --bootstrap-servers 127.0.0.1:9092 --agent demo \\
        --timeout 60 "Write a note about Kafka"

Exit status: 0 when the result arrived (whatever its status), 1 on an error (printed on stderr):
broker not reachable, no result within the timeout, a result that cannot be decoded.
"""

import argparse
import base64
import datetime
import enum
import io
import json
import os
import re
import sys
import time
import uuid

TASKS = "agentlog.tasks"
RESULTS = "agentlog.results"
SESSION_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")
RESULT_SCHEMA = "io.agentlog.schemas.avro.SessionResult"
SCHEMAS_DIR = os.path.normpath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "schemas", "src", "main", "avro"))

# Avro single-object encoding: these two bytes, the writer schema's CRC-64-AVRO fingerprint
# (8 bytes, little-endian), then the Avro binary datum.
SINGLE_OBJECT_MARKER = b"\xc3\x01"
HEADER_LENGTH = 10

try:
    import avro.errors
    import avro.io
    import avro.name
    import avro.schema
    from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
except ImportError as missing:
    sys.exit(f"submit_task.py: {missing}: install Debian's python3-confluent-kafka and python3-avro "
             "(scripts/setup.sh does) and run this script with /usr/bin/python3")


class ExampleError(Exception):
    """A failure the user can act on: printed as one line, no traceback."""


# --- Avro single-object decoding ----------------------------------------------------------------

CRC64_EMPTY = 0xC15D213AA4D7A795


def _crc64_table():
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (CRC64_EMPTY & -(fp & 1))
        table.append(fp)
    return table


CRC64_TABLE = _crc64_table()


def crc64_avro(data):
    """The CRC-64-AVRO fingerprint of the Avro specification."""
    fp = CRC64_EMPTY
    for byte in data:
        fp = (fp >> 8) ^ CRC64_TABLE[(fp ^ byte) & 0xFF]
    return fp


def load_schemas(directory):
    """Parses every .avsc file under directory. Files name types defined in other files, so a file
    that refers to a type not parsed yet is retried after the others."""
    pending = {}
    for root, _, files in os.walk(directory):
        for name in sorted(files):
            if name.endswith(".avsc"):
                path = os.path.join(root, name)
                with open(path, encoding="utf-8") as file:
                    pending[path] = json.load(file)
    if not pending:
        raise ExampleError(f"no Avro schemas (*.avsc) under {directory}; pass --schemas DIR")
    names = avro.name.Names()
    while pending:
        failures = {}
        parsed = False
        for path, definition in list(pending.items()):
            trial = avro.name.Names()
            trial.names = dict(names.names)  # a failed parse must not leave half a file behind
            try:
                avro.schema.make_avsc_object(definition, trial)
            except avro.errors.SchemaParseException as error:
                failures[path] = error
                continue
            names = trial
            del pending[path]
            parsed = True
        if not parsed:
            path, error = next(iter(failures.items()))
            raise ExampleError(f"cannot parse {path}: {error}")
    return names


PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes", "string"}


def parsing_canonical_form(schema):
    """The specification's Parsing Canonical Form, whose fingerprint identifies the schema. python3-avro
    1.11's canonical_form keeps a primitive with a logical type as {"type":"long"} where the specification
    (and Java's SchemaNormalization) write "long", so it is mended here."""

    def mend(node):
        if isinstance(node, list):
            return [mend(item) for item in node]
        if isinstance(node, dict):
            if set(node) == {"type"} and node["type"] in PRIMITIVES:
                return node["type"]
            return {key: mend(value) for key, value in node.items()}
        return node

    return json.dumps(mend(json.loads(schema.canonical_form)), separators=(",", ":"), ensure_ascii=False)


class SingleObjectDecoder:
    """Decodes values written with one schema in Avro single-object encoding."""

    def __init__(self, schema):
        self.schema = schema
        self.fingerprint = crc64_avro(parsing_canonical_form(schema).encode("utf-8")).to_bytes(8, "little")
        self.reader = avro.io.DatumReader(schema)

    def decode(self, value):
        if value is None or len(value) < HEADER_LENGTH or value[:2] != SINGLE_OBJECT_MARKER:
            raise ExampleError("undecodable record: not Avro single-object encoding (no C3 01 marker)")
        if value[2:HEADER_LENGTH] != self.fingerprint:
            raise ExampleError(
                f"undecodable record: its schema fingerprint {value[2:HEADER_LENGTH].hex()} is not the one of "
                f"{self.schema.fullname} here ({self.fingerprint.hex()}): the engine writes another version of the "
                "schema than the one loaded")
        try:
            return self.reader.read(avro.io.BinaryDecoder(io.BytesIO(value[HEADER_LENGTH:])))
        except Exception as error:  # any malformed datum
            raise ExampleError(f"undecodable record: {error}") from None


def plain_json(value):
    """Timestamps as ISO-8601 text, enums by name, bytes as base64, as the agentlog CLI prints them."""
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"{type(value).__name__} is not JSON")


# --- Kafka --------------------------------------------------------------------------------------

def check_reachable(producer, bootstrap, timeout):
    try:
        topics = producer.list_topics(timeout=timeout).topics
    except KafkaException as error:
        raise ExampleError(f"broker not reachable at {bootstrap} within {timeout:g} s ({error.args[0].str()})")
    for topic in (TASKS, RESULTS):
        if topic not in topics or topics[topic].error is not None:
            raise ExampleError(f"topic {topic} does not exist on {bootstrap}: create the topics first "
                               "(agentlog topics create, or a running local stack)")
    return len(topics[RESULTS].partitions)


def result_consumer(bootstrap, partitions, deadline):
    """A read_committed consumer positioned at the current end of every partition of agentlog.results,
    so the result of a task produced afterwards cannot be missed. No group is joined, nothing committed."""
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "agentlog-example-" + uuid.uuid4().hex,  # librdkafka wants one; never joined
        "enable.auto.commit": False,
        "isolation.level": "read_committed",
    })
    assignment = []
    for partition in range(partitions):
        tp = TopicPartition(RESULTS, partition)
        try:
            _, high = consumer.get_watermark_offsets(tp, timeout=max(deadline - time.monotonic(), 0.1))
        except KafkaException as error:
            consumer.close()
            raise ExampleError(f"cannot read the end of {RESULTS}[{partition}]: {error.args[0].str()}")
        assignment.append(TopicPartition(RESULTS, partition, high))
    consumer.assign(assignment)
    return consumer


def submit(producer, session_id, agent, task_input, deadline):
    reports = []
    task = {"agent": agent, "input": task_input}
    # no partitioner is configured: librdkafka's default (consistent_random, CRC32 of the key)
    producer.produce(TASKS, key=session_id.encode("utf-8"), value=json.dumps(task).encode("utf-8"),
                     on_delivery=lambda error, _: reports.append(error))
    producer.flush(max(deadline - time.monotonic(), 0.1))
    if not reports:
        raise ExampleError(f"timed out submitting the task to {TASKS}")
    if reports[0] is not None:
        raise ExampleError(f"the broker refused the task: {reports[0].str()}")


def await_result(consumer, decoder, session_id, deadline):
    key = session_id.encode("utf-8")
    while time.monotonic() < deadline:
        record = consumer.poll(min(1.0, max(deadline - time.monotonic(), 0.01)))
        if record is None:
            continue
        if record.error() is not None:
            if record.error().code() == KafkaError._PARTITION_EOF:
                continue
            raise ExampleError(f"reading {RESULTS}: {record.error().str()}")
        if record.key() == key:
            return decoder.decode(record.value())
    return None


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Submit a task to agentlog (JSON on agentlog.tasks, the client's default partitioner) "
                    "and print its result (Avro on agentlog.results, decoded) as JSON.")
    parser.add_argument("input", help="the task's input, what the agent is asked to do")
    parser.add_argument("--bootstrap-servers", default="127.0.0.1:9092",
                        help="Kafka bootstrap servers (default: %(default)s)")
    parser.add_argument("--agent", required=True, help="the registered agent's name")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for the broker and the result (default: %(default)s)")
    parser.add_argument("--session-id", default=None,
                        help="the session id (default: py-<random uuid>)")
    parser.add_argument("--schemas", default=SCHEMAS_DIR,
                        help="directory of the .avsc files (default: the repository's, %(default)s)")
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be positive, got {args.timeout:g}")
    if args.session_id is not None and not SESSION_ID.fullmatch(args.session_id):
        parser.error(f"--session-id must match {SESSION_ID.pattern}, got {args.session_id!r}")
    return args


def main(argv):
    args = parse_args(argv)
    deadline = time.monotonic() + args.timeout
    names = load_schemas(args.schemas)
    if RESULT_SCHEMA not in names.names:
        raise ExampleError(f"no schema {RESULT_SCHEMA} under {args.schemas}")
    decoder = SingleObjectDecoder(names.names[RESULT_SCHEMA])
    session_id = args.session_id or "py-" + str(uuid.uuid4())

    # librdkafka logs connection failures itself; the error below says it once
    producer = Producer({"bootstrap.servers": args.bootstrap_servers, "log_level": 0})
    partitions = check_reachable(producer, args.bootstrap_servers, args.timeout)
    consumer = result_consumer(args.bootstrap_servers, partitions, deadline)
    try:
        submit(producer, session_id, args.agent, args.input, deadline)
        print(f"submitted session {session_id} to agent {args.agent}", file=sys.stderr)
        result = await_result(consumer, decoder, session_id, deadline)
    finally:
        consumer.close()
    if result is None:
        raise ExampleError(f"no result for session {session_id} within {args.timeout:g} s "
                           f"(is an engine running, and agent {args.agent} registered?)")
    print(json.dumps(result, default=plain_json))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except ExampleError as error:
        print(f"submit_task.py: {error}", file=sys.stderr)
        sys.exit(1)
    except KeyboardInterrupt:
        sys.exit(130)
