// Starts a real `jit-broker serve` for one test file: its own temp dir, config, policy, enrolled
// users and port, so every scenario starts from an empty database. Always stopped by stop(); the
// pid is also written to $JIT_BROWSER_PIDS so run.sh can end it if node itself dies.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TotpClock, secretFromOtpauthUri } from './totp.js';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const brokerBinary =
  process.env.JIT_BROKER ?? path.join(repoRoot, 'build/default/broker/jit-broker');

// alice asks; carol and dave approve. Two approvals, so each approver's decision shows on its own.
export const defaultPolicy = `
groups: { developers: [alice], approvers: [carol, dave] }
roles:
  prod-db-read:
    requestable_by: [developers]
    approvers: [approvers]
    approvals_required: 2
    max_duration: 1h
    require_reason: true
    require_ticket: true
    ssh: { principals: [dbread], extensions: [permit-pty], source_address: [127.0.0.0/8] }
`;
export const defaultUsers = ['alice', 'carol', 'dave'];
// 12 characters or more and not containing the user's name (approvals/password_rules.hpp).
export const passwordOf = (user) => `browser passphrase ${user.length}`;

function freeLoopbackPort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForListening(child, output, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error('broker did not start in time')), timeoutMs);
    const onData = () => {
      if (output.out.includes('listening on')) finish(null);
    };
    const onExit = (code) => finish(new Error(`broker exited with ${code}: ${output.err.trim()}`));
    function finish(error) {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve();
    }
    child.stdout.on('data', onData);
    child.on('exit', onExit);
    onData();
  });
}

export class Broker {
  constructor(dir, port, users) {
    this.dir = dir;
    this.port = port;
    this.origin = `https://localhost:${port}`;
    this.users = users;
    this.totp = new TotpClock();
    this.output = { out: '', err: '' };
    this.child = null;
  }

  get configPath() {
    return path.join(this.dir, 'broker.yaml');
  }
  get certificatePath() {
    return path.join(this.dir, 'data', 'tls', 'server.crt');
  }
  certificate() {
    return fs.readFileSync(this.certificatePath);
  }

  enroll(user) {
    const result = spawnSync(brokerBinary, ['--config', this.configPath, 'user', 'enroll', user], {
      cwd: this.dir,
      input: `${passwordOf(user)}\n`,
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (result.status !== 0) {
      throw new Error(`enroll ${user} failed (${result.status}): ${result.stderr}`);
    }
    const uri = result.stdout.split('\n').find((line) => line.startsWith('otpauth://'));
    if (!uri) throw new Error(`enroll ${user} printed no otpauth URI`);
    this.totp.addUser(user, secretFromOtpauthUri(uri));
  }

  async serve() {
    this.output = { out: '', err: '' };
    const child = spawn(
      brokerBinary,
      ['--config', this.configPath, 'serve', '--listen', `127.0.0.1:${this.port}`],
      { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (chunk) => (this.output.out += chunk));
    child.stderr.on('data', (chunk) => (this.output.err += chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    if (process.env.JIT_BROWSER_PIDS) fs.appendFileSync(process.env.JIT_BROWSER_PIDS, `${child.pid}\n`);
    await waitForListening(child, this.output, 20_000);
  }

  // Stops the broker with SIGTERM (SIGKILL after 10 s) and removes its dir. Throws when the broker
  // had already died or did not exit cleanly (exit code 0) on SIGTERM, e.g. a sanitizer report.
  async stop() {
    const child = this.child;
    let problem = null;
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      problem = `the broker died during the tests (${child.exitCode ?? child.signalCode})`;
    } else if (child) {
      child.kill('SIGTERM');
      let timer;
      const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(null), 10_000)));
      const exit = await Promise.race([this.exited, timeout]);
      clearTimeout(timer);
      if (exit === null) {
        child.kill('SIGKILL');
        await this.exited;
        problem = 'the broker did not stop within 10 s of SIGTERM';
      } else if (exit.code !== 0) {
        problem = `the broker exited with ${exit.code ?? exit.signal} on SIGTERM`;
      }
    }
    this.child = null;
    if (!process.env.JIT_BROWSER_KEEP) fs.rmSync(this.dir, { recursive: true, force: true });
    if (problem) throw new Error(`${problem}; its stderr ends with:\n${this.output.err.slice(-4000)}`);
  }
}

// `sso`: lines for broker.yaml given the broker's origin (lib/idp.js ssoSection), or undefined.
export async function startBroker({ policy = defaultPolicy, users = defaultUsers, sso } = {}) {
  if (!fs.existsSync(brokerBinary)) {
    throw new Error(`${brokerBinary} is missing: build the jit-broker target of the default preset`);
  }
  // A port in use at start (another process took it after we freed it) makes the broker exit 2;
  // then it is tried again on a new port.
  let lastError;
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'jit-browser-broker-'));
    const port = await freeLoopbackPort();
    const broker = new Broker(dir, port, users);
    fs.writeFileSync(path.join(dir, 'policy.yaml'), policy);
    fs.writeFileSync(
      broker.configPath,
      [
        `listen: "127.0.0.1:${port}"`,
        'data_dir: data',
        'policy_file: policy.yaml',
        'tls:',
        '  dev_tls: true',
        'ca:',
        '  generate_missing: true',
        'mfa:',
        '  webauthn:',
        '    rp_id: localhost',
        `    origin: "${broker.origin}"`,
        ...(sso ? sso(broker.origin) : []),
        '',
      ].join('\n'),
    );
    try {
      for (const user of users) broker.enroll(user);
      await broker.serve();
      return broker;
    } catch (error) {
      lastError = error;
      await broker.stop().catch(() => {});  // it failed to start; `error` says why
    }
  }
  throw lastError;
}
