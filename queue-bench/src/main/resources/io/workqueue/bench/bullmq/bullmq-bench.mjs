// Drives BullMQ 5.x for queue-bench (io.workqueue.bench.Bullmq). One phase per run:
//
//   node bullmq-bench.mjs <phase> --host H --port P --queue NAME --count N
//        [--concurrency C] [--warmup W] [--latencies FILE]
//
// phases:
//   version  prints BullMQ's version
//   add      `await queue.add()` one job after the other (W untimed first)
//   addBulk  `await queue.addBulk()` of 100 jobs, one call after the other (W untimed first)
//   fill     addBulk of N jobs, untimed (for Redis memory per waiting job)
//   drain    fills N jobs (untimed), then a Worker with concurrency C and a no-op processor
//            processes them; timed from worker.run() to the N-th 'completed' event
//
// Every job's data is {"payload":"x" * 86}: 100 bytes of JSON, as the Java side's tasks. Default
// job options (removeOnComplete false). Prints one JSON line on stdout: {"phase", "count",
// "seconds", "bullmq"}. Latencies (ns, one per line) go to --latencies: per call for add and
// addBulk; for drain, per job from the processor's start to its 'completed' event (the worker's
// moveToFinished, which also fetches the next job).
import { Queue, Worker } from 'bullmq';
import { readFileSync, writeFileSync } from 'node:fs';

const BULK = 100;

function args(argv) {
  const out = { phase: argv[0] };
  for (let i = 1; i < argv.length; i += 2) {
    out[argv[i].replace(/^--/, '')] = argv[i + 1];
  }
  return out;
}

const a = args(process.argv.slice(2));
const version = JSON.parse(
  readFileSync(new URL('./node_modules/bullmq/package.json', import.meta.url), 'utf8')).version;
if (a.phase === 'version') {
  console.log(JSON.stringify({ phase: 'version', bullmq: version }));
  process.exit(0);
}

const connection = { host: a.host || '127.0.0.1', port: Number(a.port), maxRetriesPerRequest: null };
const name = a.queue;
const count = Number(a.count);
const warmup = Number(a.warmup || 0);
const concurrency = Number(a.concurrency || 1);
const data = { payload: 'x'.repeat(86) };
if (JSON.stringify(data).length !== 100) {
  throw new Error('the payload must be 100 B of JSON');
}
const now = () => process.hrtime.bigint();

function bulk(n) {
  const jobs = new Array(n);
  for (let i = 0; i < n; i++) {
    jobs[i] = { name: 't', data };
  }
  return jobs;
}

async function fill(queue, n) {
  for (let done = 0; done < n; done += BULK) {
    await queue.addBulk(bulk(Math.min(BULK, n - done)));
  }
}

function report(seconds, latencies) {
  if (a.latencies) {
    writeFileSync(a.latencies, latencies.map(String).join('\n') + '\n');
  }
  console.log(JSON.stringify({ phase: a.phase, count, seconds, bullmq: version }));
}

const queue = new Queue(name, { connection });
await queue.waitUntilReady();
try {
  if (a.phase === 'add') {
    for (let i = 0; i < warmup; i++) {
      await queue.add('t', data);
    }
    const latencies = new Array(count);
    const t0 = now();
    for (let i = 0; i < count; i++) {
      const s = now();
      await queue.add('t', data);
      latencies[i] = now() - s;
    }
    report(Number(now() - t0) / 1e9, latencies);
  } else if (a.phase === 'addBulk') {
    await fill(queue, warmup);
    const calls = Math.ceil(count / BULK);
    const latencies = new Array(calls);
    const t0 = now();
    for (let i = 0; i < calls; i++) {
      const s = now();
      await queue.addBulk(bulk(Math.min(BULK, count - i * BULK)));
      latencies[i] = now() - s;
    }
    report(Number(now() - t0) / 1e9, latencies);
  } else if (a.phase === 'fill') {
    const t0 = now();
    await fill(queue, count);
    report(Number(now() - t0) / 1e9, []);
  } else if (a.phase === 'drain') {
    await fill(queue, count);
    const started = new Map();
    const latencies = [];
    let completed = 0;
    let resolveDone;
    const done = new Promise((resolve) => {
      resolveDone = resolve;
    });
    const worker = new Worker(
      name,
      async (job) => {
        started.set(job.id, now());
      },
      { connection, concurrency, autorun: false });
    worker.on('completed', (job) => {
      const s = started.get(job.id);
      if (s !== undefined) {
        latencies.push(now() - s);
        started.delete(job.id);
      }
      completed++;
      if (completed === count) {
        resolveDone();
      }
    });
    worker.on('failed', (job, err) => {
      console.error('job failed', job && job.id, err);
      process.exit(3);
    });
    await worker.waitUntilReady();
    const t0 = now();
    worker.run();
    await done;
    const seconds = Number(now() - t0) / 1e9;
    await worker.close();
    report(seconds, latencies);
  } else {
    throw new Error('unknown phase ' + a.phase);
  }
} finally {
  await queue.close();
}
process.exit(0);
