// Checks of a view of the page as anyone may need it: axe-core (from npm, run inside the page)
// finds no violation of impact "serious" or "critical", and nothing is wider than the window
// (no sideways scrolling, which on a 390 px phone means a table too wide for it).
import fs from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not
// govern: the page itself still loads nothing but its own files.
async function loadAxe(page) {
  if (await page.evaluate(() => typeof window.axe === 'object')) return;
  await page.evaluate(axeSource);
}

function describeViolation(violation) {
  const where = violation.nodes.slice(0, 3).map((node) => node.target.join(' ')).join('; ');
  return `${violation.impact} ${violation.id}: ${violation.help} (${where})`;
}

// Throws naming `view` and every serious or critical violation axe finds in the page as shown.
export async function expectNoSeriousA11yViolations(page, view) {
  await loadAxe(page);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
  });
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  if (bad.length > 0) {
    throw new Error(`${view}: axe found ${bad.length} serious or critical problems:\n  ` +
                    bad.map(describeViolation).join('\n  '));
  }
}

// Throws when the page can scroll sideways, naming the widest elements that stick out.
export async function expectNoSidewaysScroll(page, view) {
  const seen = await page.evaluate(() => {
    const width = window.innerWidth;
    const scrollWidth = document.documentElement.scrollWidth;
    const wide = [];
    if (scrollWidth > width) {
      for (const node of document.querySelectorAll('body *')) {
        const box = node.getBoundingClientRect();
        if (box.width > 0 && box.right > width + 0.5) {
          wide.push(`${node.tagName.toLowerCase()}${node.id ? '#' + node.id : ''}` +
                    `${node.className && typeof node.className === 'string' ? '.' + node.className.split(' ').join('.') : ''} right=${Math.round(box.right)}`);
        }
      }
    }
    return { width, scrollWidth, wide: wide.slice(0, 8) };
  });
  if (seen.scrollWidth > seen.width) {
    throw new Error(`${view}: the page is ${seen.scrollWidth} px wide in a ${seen.width} px window; ` +
                    `sticking out: ${seen.wide.join(', ')}`);
  }
}

// Both checks of one view.
export async function checkView(page, view) {
  await expectNoSidewaysScroll(page, view);
  await expectNoSeriousA11yViolations(page, view);
}
