import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './sample.js';

export const BIN = path.join(repoRoot, 'bin', 'commune-returns.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the real command line (node bin/commune-returns.js …) and collect its output. */
export function runCli(args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Start `web` and resolve once it prints its address. */
export function startWeb(
  args: string[],
): Promise<{ url: string; stop: (signal?: NodeJS.Signals) => Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, [BIN, 'web', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`web did not start: ${out}`));
    }, 60_000);
    child.stdout.on('data', () => {
      const m = /^Mở trình duyệt tại: (http:\/\/127\.0\.0\.1:\d+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({
          url: m[1]!,
          output: () => out,
          stop: (signal = 'SIGTERM') => {
            child.kill(signal);
            return exited;
          },
        });
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`web exited with ${code}: ${out}`));
    });
  });
}

/** Output a person may see must never carry a stack trace. */
export function hasStack(text: string): boolean {
  return /\n\s+at [\w.<]|\.ts:\d+:\d+|node:internal/.test(text);
}
