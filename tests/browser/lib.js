// SPDX-License-Identifier: Apache-2.0
// Helpers for the browser tests: start the real agent (and oms-sim), make
// accounts and labels with storectl / the API, feed the demo's virtual
// scanner, launch Debian's Chromium through playwright-core.
'use strict';

const { spawn, execFile } = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const CHROMIUM = process.env.SA_CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];
const START_TIMEOUT_MS = 20000;

function need(name) {
  const v = process.env[name];
  if (!v) throw new Error(`set ${name} (the path of the binary; CTest sets it)`);
  if (!fs.existsSync(v)) throw new Error(`${name}=${v} does not exist`);
  return v;
}

function artifactsDir() {
  const dir = process.env.SA_BROWSER_ARTIFACTS || path.join(__dirname, 'artifacts');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

function tmpDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

// Starts `bin args`, resolves with the first JSON line on `stream` whose msg
// is "ready". Everything the process writes is kept in `proc.output`.
function startWithReady(bin, args, stream, what) {
  return new Promise((resolve, reject) => {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    proc.output = '';
    let pending = '';
    let done = false;
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      proc.kill('SIGKILL');
      reject(new Error(`${what} did not say ready in ${START_TIMEOUT_MS} ms:\n${proc.output}`));
    }, START_TIMEOUT_MS);
    const watch = (name) => (chunk) => {
      const text = chunk.toString();
      proc.output += text;
      if (name !== stream || done) return;
      pending += text;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        let j = null;
        try { j = JSON.parse(line); } catch (e) { continue; }
        if (j && j.msg === 'ready') {
          done = true;
          clearTimeout(timer);
          resolve({ proc, ready: j });
          return;
        }
      }
    };
    proc.stdout.on('data', watch('stdout'));
    proc.stderr.on('data', watch('stderr'));
    proc.on('exit', (code, signal) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready:\n${proc.output}`));
    });
  });
}

function stop(proc) {
  return new Promise((resolve) => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return resolve();
    const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
    proc.once('exit', () => { clearTimeout(t); resolve(); });
    proc.kill('SIGTERM');
  });
}

async function startCloud() {
  const dir = tmpDir('sa-browser-cloud-');
  const { proc, ready } = await startWithReady(need('SA_OMS_SIM'),
    ['--listen', '127.0.0.1:0', '--data-dir', dir, '--log-level', 'warn'], 'stdout', 'oms-sim');
  return { proc, url: ready.url, dir, stop: () => stop(proc) };
}

class Agent {
  static async start(opts) {
    opts = opts || {};
    const dir = tmpDir('sa-browser-agent-');
    const args = ['--demo', '--data-dir', dir, '--listen', '127.0.0.1:0'];
    if (opts.cloud) args.push('--cloud', opts.cloud);
    // A config file's text (TOML), e.g. a Chinese store's [store] locale.
    if (opts.config) {
      const file = path.join(dir, 'agent.toml');
      fs.writeFileSync(file, opts.config);
      args.push('--config', file);
    }
    // UI work without rebuilding: serve the screens from the source tree.
    if (process.env.SA_WEB_ROOT) args.push('--web-root', process.env.SA_WEB_ROOT);
    const { proc, ready } = await startWithReady(need('SA_STORE_AGENT'), args, 'stderr', 'store-agent');
    const a = new Agent();
    a.proc = proc;
    a.dir = dir;
    a.url = ready.url;
    a.storeId = ready.store_id;
    a.token = fs.readFileSync(path.join(dir, 'api-token'), 'utf8').trim();
    const scanner = fs.readFileSync(path.join(dir, 'scanner-url'), 'utf8').trim();
    const m = /^tcp:\/\/([^:]+):(\d+)$/.exec(scanner);
    if (!m) throw new Error('unexpected scanner-url: ' + scanner);
    a.scanner = { host: m[1], port: Number(m[2]) };
    return a;
  }

  stop() { return stop(this.proc); }

  // The API with the admin token (what storectl uses).
  async api(method, p, body) {
    const res = await fetch(this.url + p, {
      method,
      headers: Object.assign({ Authorization: 'Bearer ' + this.token },
        body === undefined ? {} : { 'Content-Type': 'application/json' }),
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (e) { /* text */ }
    return { status: res.status, json, text };
  }

  storectl(args, input) {
    return new Promise((resolve, reject) => {
      const child = execFile(need('SA_STORECTL'), ['--data-dir', this.dir, ...args], { timeout: 20000 },
        (err, stdout, stderr) => {
          if (err) return reject(new Error(`storectl ${args.join(' ')} failed: ${err.message}\n${stdout}${stderr}`));
          resolve(stdout);
        });
      if (input !== undefined) child.stdin.end(input);
    });
  }

  // A cashier or manager account ({id, name, pin, role?}), made the way a
  // store manager does: `storectl cashier add`.
  addCashier(who) {
    return this.storectl(['cashier', 'add', who.id, '--name', who.name, ...(who.role ? ['--role', who.role] : []),
      '--pin', who.pin]);
  }

  // `n` signed unit labels of `gtin` (demo keys) and a fresh member code.
  async codes(n, gtin) {
    const out = await this.storectl(['demo', 'codes', String(n), '--json', ...(gtin ? ['--gtin', gtin] : [])]);
    return JSON.parse(out);
  }

  // A paid sale made with the API token on `terminal` (not a screen's till):
  // `codes` scanned in, then `payments(total)` ([{method, amount, ref?}]).
  // Resolves with the completed sale (its receipt_no).
  async sell(codes, payments, terminal) {
    const opened = await this.api('POST', '/v1/sales', { terminal: terminal || 'back-office' });
    if (opened.status !== 201) throw new Error('open sale: ' + opened.status + ' ' + opened.text);
    const id = opened.json.id;
    let sale = opened.json;
    for (const c of codes) {
      const r = await this.api('POST', `/v1/sales/${id}/scans`, { payload: c });
      if (r.status !== 200) throw new Error(`scan ${c}: ${r.status} ${r.text}`);
      sale = r.json;
    }
    const done = await this.api('POST', `/v1/sales/${id}/complete`, { payments: payments(sale.total) });
    if (done.status !== 200) throw new Error('complete: ' + done.status + ' ' + done.text);
    return done.json;
  }

  // One scan on the demo's virtual scanner (the till-1 terminal's scanner).
  scan(code) {
    return new Promise((resolve, reject) => {
      const s = net.connect(this.scanner.port, this.scanner.host, () => s.end(code + '\n'));
      s.on('error', reject);
      s.on('close', () => resolve());
    });
  }

  // Polls the API until `check(json)` holds (no fixed sleeps).
  async until(p, check, what, timeoutMs) {
    const end = Date.now() + (timeoutMs || 10000);
    let last = null;
    while (Date.now() < end) {
      last = await this.api('GET', p);
      if (last.status === 200 && check(last.json)) return last.json;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`timed out waiting for ${what}: last ${p} -> ${last && last.status} ${last && last.text}`);
  }
}

// A label whose signature is changed in one character: a forged label.
function forge(code) {
  const m = /([?&]8030=)([A-Za-z0-9_-]+)/.exec(code);
  if (!m) throw new Error('no signature (8030) in ' + code);
  const sig = m[2];
  const i = Math.floor(sig.length / 2);
  const swapped = sig[i] === 'A' ? 'B' : 'A';
  return code.slice(0, m.index + m[1].length) + sig.slice(0, i) + swapped + sig.slice(i + 1) +
    code.slice(m.index + m[0].length);
}

// ¥ formatting the way a cashier reads it, from integer fen.
function money(fen) {
  const neg = fen < 0;
  const a = Math.abs(fen);
  const cents = a % 100;
  const yuan = String((a - cents) / 100).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return (neg ? '-' : '') + '¥' + yuan + '.' + String(cents).padStart(2, '0');
}

async function launchBrowser() {
  const { chromium } = require('playwright-core');
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

// A fresh context and page at 1024x768 that records page errors and
// console errors (CSP violations included; failed HTTP statuses are the
// screens' business, shown to the cashier, not errors).
async function newPage(browser) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const page = await context.newPage();
  page.problems = [];
  page.on('pageerror', (e) => page.problems.push('pageerror: ' + (e.stack || e.message)));
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const text = m.text();
    if (/^Failed to load resource: the server responded with a status of (4\d\d)/.test(text)) return;
    page.problems.push('console: ' + text);
  });
  page.setDefaultTimeout(15000);
  return { context, page };
}

async function screenshot(page, name) {
  const file = path.join(artifactsDir(), name + '.png');
  await page.screenshot({ path: file });
  return file;
}

module.exports = { Agent, startCloud, forge, money, launchBrowser, newPage, screenshot, artifactsDir, tmpDir, CHROMIUM_ARGS };
