/**
 * A fault-injecting TCP proxy on 127.0.0.1 (node:net) in front of a server, for the delivery fault
 * tests and the benchmark. Per connection it can:
 * - cut at a chosen byte in either direction (`up` = client → server, `down` = server → client):
 *   the bytes before it are forwarded, then both sockets are reset. `down` at byte 0 cuts the
 *   answer after the server has read (and acted on) the whole request;
 * - cut a fraction of connections at random (seeded), at a random byte in a random direction;
 * - delay every segment (one-way latency), throttle each direction to a bandwidth, and lose
 *   segments (a lost segment arrives after a retransmission delay, as TCP would deliver it).
 * Options can be changed while it runs (`set`); `stats()` counts bytes and cuts.
 */
import net from 'node:net';
import { seeded } from './city-returns.js';

export type Direction = 'up' | 'down';

export interface FlakyOptions {
  /** Cut every connection after this many bytes client → server (null: never). */
  cutUpAt: number | null;
  /** Cut every connection after this many bytes server → client (null: never). */
  cutDownAt: number | null;
  /** The next connections, in order, are cut as listed (consumed one per connection). */
  cutNext: { direction: Direction; at: number }[];
  /** Fraction of connections cut at random (seeded), at a random byte below `cutWindow[direction]`. */
  cutFraction: number;
  cutWindow: Record<Direction, number>;
  seed: number;
  /** One-way latency added to every segment, each direction. */
  delayMs: number;
  /** Bandwidth of each direction (bytes per second); null: unlimited. */
  bytesPerSecond: number | null;
  /** Probability that a segment is "lost" and arrives `retransmitMs` late. */
  lossRate: number;
  retransmitMs: number;
  /** Segment size for throttling and loss (a TCP MSS). */
  segmentBytes: number;
  /**
   * Close a connection that has been idle this long (as a mobile network's NAT forgets it), so
   * the next request needs a new connection; null: keep connections open.
   */
  idleCloseMs: number | null;
  /** A new connection carries nothing before this long (the TCP handshake's round trip). */
  handshakeMs: number;
}

export interface ProxyStats {
  connections: number;
  cut: number;
  /** Cuts by the direction whose byte limit was reached. */
  cutUp: number;
  cutDown: number;
  /** Bytes forwarded client → server and server → client. */
  up: number;
  down: number;
  lostSegments: number;
}

export interface FlakyProxy {
  url: string;
  port: number;
  set(opts: Partial<FlakyOptions>): void;
  stats(): ProxyStats;
  resetStats(): void;
  close(): Promise<void>;
}

const DEFAULTS: FlakyOptions = {
  cutUpAt: null,
  cutDownAt: null,
  cutNext: [],
  cutFraction: 0,
  cutWindow: { up: 20_000, down: 400 },
  seed: 1,
  delayMs: 0,
  bytesPerSecond: null,
  lossRate: 0,
  retransmitMs: 600,
  segmentBytes: 1460,
  idleCloseMs: null,
  handshakeMs: 0,
};

/** One direction of one connection: forwards bytes in order, shaped, up to an optional cut. */
class Pipe {
  private forwarded = 0;
  private lastDue = 0;
  private pending = 0;
  private ended = false;
  constructor(
    private readonly to: net.Socket,
    private readonly direction: Direction,
    private readonly opts: () => FlakyOptions,
    private readonly rng: () => number,
    private readonly stats: () => ProxyStats,
    private readonly cutAt: number | null,
    private readonly cut: (direction: Direction) => void,
    /** performance.now() before which nothing is delivered (the handshake). */
    private readonly openAt: number,
  ) {
    this.lastDue = openAt;
  }

  push(chunk: Buffer): void {
    let data = chunk;
    let cutting = false;
    if (this.cutAt !== null && this.forwarded + data.length >= this.cutAt) {
      data = data.subarray(0, Math.max(0, this.cutAt - this.forwarded));
      cutting = true;
    }
    this.forwarded += data.length;
    const o = this.opts();
    const shaped = o.delayMs > 0 || o.bytesPerSecond !== null || o.lossRate > 0 || this.openAt > performance.now();
    if (!shaped) {
      this.write(data);
      if (cutting) this.cut(this.direction);
      return;
    }
    const now = performance.now();
    for (let i = 0; i < data.length || (cutting && i === 0); i += o.segmentBytes) {
      const seg = data.subarray(i, i + o.segmentBytes);
      const send = o.bytesPerSecond ? (seg.length / o.bytesPerSecond) * 1000 : 0;
      let due = Math.max(this.lastDue, now + o.delayMs) + send;
      this.lastDue = due;
      if (seg.length && o.lossRate > 0 && this.rng() < o.lossRate) {
        this.stats().lostSegments++;
        due += o.retransmitMs;
        this.lastDue = due; // in order: what follows waits for the retransmission
      }
      const last = cutting && i + o.segmentBytes >= data.length;
      this.pending++;
      setTimeout(
        () => {
          this.pending--;
          this.write(seg);
          if (last) this.cut(this.direction);
          else if (this.ended && this.pending === 0) this.to.end();
        },
        Math.max(0, due - performance.now()),
      );
      if (data.length === 0) break;
    }
  }

  end(): void {
    this.ended = true;
    if (this.pending === 0) this.to.end();
  }

  private write(seg: Buffer): void {
    if (!seg.length || this.to.destroyed) return;
    this.to.write(seg);
    this.stats()[this.direction] += seg.length;
  }
}

/** Start a proxy in front of `target` (http://host:port or {host, port}). */
export async function startFlakyProxy(
  target: string | { host: string; port: number },
  options: Partial<FlakyOptions> = {},
): Promise<FlakyProxy> {
  const t = typeof target === 'string' ? new URL(target) : undefined;
  const host = t ? t.hostname : (target as { host: string }).host;
  const port = t ? Number(t.port) : (target as { port: number }).port;
  let opts: FlakyOptions = { ...DEFAULTS, ...options };
  let rng = seeded(opts.seed);
  const empty = (): ProxyStats => ({ connections: 0, cut: 0, cutUp: 0, cutDown: 0, up: 0, down: 0, lostSegments: 0 });
  let stats = empty();
  const sockets = new Set<net.Socket>();

  const server = net.createServer((client) => {
    stats.connections++;
    const upstream = net.connect({ host, port });
    sockets.add(client);
    sockets.add(upstream);
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
    let cutAt: Record<Direction, number | null> = { up: opts.cutUpAt, down: opts.cutDownAt };
    const planned = opts.cutNext.shift();
    if (planned) cutAt = { ...cutAt, [planned.direction]: planned.at };
    else if (opts.cutFraction > 0 && rng() < opts.cutFraction) {
      const direction: Direction = rng() < 0.5 ? 'up' : 'down';
      cutAt = { ...cutAt, [direction]: Math.floor(rng() * opts.cutWindow[direction]) };
    }
    let done = false;
    const cut = (direction: Direction) => {
      if (done) return;
      done = true;
      stats.cut++;
      stats[direction === 'up' ? 'cutUp' : 'cutDown']++;
      client.resetAndDestroy();
      upstream.resetAndDestroy();
    };
    const openAt = performance.now() + opts.handshakeMs;
    const shape = () => opts;
    const draw = () => rng();
    const count = () => stats;
    const up = new Pipe(upstream, 'up', shape, draw, count, cutAt.up, cut, openAt);
    const down = new Pipe(client, 'down', shape, draw, count, cutAt.down, cut, openAt);
    // Data that arrives before the server's socket is connected is queued by net.Socket itself.
    client.on('data', (d: Buffer) => up.push(d));
    upstream.on('data', (d: Buffer) => down.push(d));
    client.on('end', () => up.end());
    upstream.on('end', () => down.end());
    const fail = () => {
      if (done) return;
      done = true;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', fail);
    upstream.on('error', fail);
    if (opts.idleCloseMs !== null) {
      // Idle = nothing in either direction; both sockets share one timer through 'data' events.
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        clearTimeout(idle);
        idle = setTimeout(() => {
          client.end();
          upstream.end();
        }, opts.idleCloseMs!);
      };
      client.on('data', arm);
      upstream.on('data', arm);
      client.on('close', () => clearTimeout(idle));
      arm();
    }
    // A cut at byte 0 of the request: the connection opens and is reset before anything passes.
    if (cutAt.up === 0) setImmediate(() => cut('up'));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    port: addr.port,
    set(next) {
      opts = { ...opts, ...next };
      if (next.seed !== undefined) rng = seeded(next.seed);
    },
    stats: () => ({ ...stats }),
    resetStats() {
      stats = empty();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
