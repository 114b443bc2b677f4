// One broker and one Chromium per test file; every scenario of the file gets its own users'
// browser contexts. A failing scenario leaves a screenshot of each of its pages as an artefact,
// and every scenario ends by checking that no page had script errors, CSP violations, dialogs or
// secrets in URLs.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBroker } from './broker.js';
import { artifactsDir, Browser } from './browser.js';

export function useRig(options = {}) {
  const rig = {};
  before(async () => {
    rig.broker = await startBroker(options);
    rig.browser = await Browser.launch(rig.broker);
  });
  after(async () => {
    await rig.browser?.close();
    await rig.broker?.stop();
  });
  return rig;
}

const slug = (text) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function scenario(rig, name, body) {
  test(name, async (t) => {
    const users = [];
    const user = async (who, opts) => {
      const created = await rig.browser.user(who, opts);
      users.push(created);
      return created;
    };
    try {
      await body({ t, broker: rig.broker, user });
      for (const one of users) assert.deepEqual(one.problems(), [], `${one.name}'s page`);
    } catch (error) {
      fs.mkdirSync(artifactsDir, { recursive: true });
      for (const one of users) {
        const file = path.join(artifactsDir, `failed-${slug(name)}-${one.name}.png`);
        try {
          await one.page.screenshot({ path: file, fullPage: true, timeout: 5_000 });
          t.diagnostic(`failure screenshot: ${file}`);
        } catch {
          // A closed page has nothing to show; the error below says what went wrong.
        }
      }
      throw error;
    } finally {
      for (const one of users) await one.context.close().catch(() => {});
    }
  });
}

export async function screenshot(t, page, name) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const file = path.join(artifactsDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  t.diagnostic(`screenshot: ${file}`);
  return file;
}
