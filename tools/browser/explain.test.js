// The pages `cargo run --example explain` writes, in a real Chromium (issue 23):
// step through the neuron's forward and backward passes with the keyboard, read the
// gradient the page shows for x1 and compare it with the tape's (−1.5), check the `+=`
// step of a value used twice (the tanh-by-exp page's `e`), check that the console has no
// error, and save screenshots.
//
//   node tools/browser/explain.test.js <chromium> <explain.html> <explain-exp.html> <shots dir>
"use strict";
const assert = require("assert");
const path = require("path");
const { chromium } = require("playwright-core");

const [executablePath, neuronPage, expPage, shots] = process.argv.slice(2);

async function open(browser, file) {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
  page.on("pageerror", e => errors.push(String(e)));
  await page.goto("file://" + path.resolve(file));
  return { page, errors };
}

// Presses → until the last backward step, checking `check` after each press.
async function stepToEnd(page, check) {
  const total = await page.evaluate(() => window.tapegrad.total);
  for (let k = 1; k <= total; k++) {
    await page.keyboard.press("ArrowRight");
    assert.strictEqual(await page.evaluate(() => window.tapegrad.at), k, "→ moved one step");
    if (check) await check(page, k);
  }
  return total;
}

// The gradient a node's box shows (its numbers, kept on the box for reading).
async function shownGrad(page, node) {
  const text = await page.getAttribute(`g[data-node="${node}"]`, "data-grad");
  return text ? JSON.parse(text) : null;
}

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    // The neuron: ∂o/∂x1 = w1 · (1 − o²) = −3 · 0.5 = −1.5.
    {
      const { page, errors } = await open(browser, neuronPage);
      assert.match(await page.textContent("#status"), /forward pass/);
      const x1 = await page.evaluate(() => window.tapegrad.data.nodes.findIndex(n => n.name === "x1"));
      assert.ok(x1 >= 0, "x1 is on the page");
      await stepToEnd(page);
      assert.match(await page.textContent("#status"), /^Backward (\d+) of \1/);
      const grad = await shownGrad(page, x1);
      assert.ok(grad && Math.abs(grad[0] - -1.5) < 1e-12, `∂L/∂x1 shown as ${JSON.stringify(grad)}, the tape's is −1.5`);
      const tape = await page.evaluate(i => window.tapegrad.data.nodes[i].grad.numbers, x1);
      assert.deepStrictEqual(grad, tape, "the box shows the tape's gradient, bit for bit");
      assert.match(await page.textContent(`g[data-node="${x1}"]`), /grad\s+-1\.5000/);
      // Back and reset work from the keyboard too.
      await page.keyboard.press("ArrowLeft");
      assert.match(await page.textContent("#status"), /^Backward (\d+) of (?!\1)\d+/);
      await page.keyboard.press("r");
      assert.strictEqual(await page.evaluate(() => window.tapegrad.at), 0);
      await stepToEnd(page);
      await page.check("#fd");
      assert.match(await page.textContent("#panel"), /Finite differences/);
      await page.screenshot({ path: path.join(shots, "explain.png") });
      assert.deepStrictEqual(errors, [], "no console error");
      console.log("neuron page: ∂L/∂x1 = " + grad[0] + " after every step; keys and finite differences work");
    }
    // e = exp(2n) feeds (e − 1) and (e + 1): its gradient is reached twice, the second `+=`.
    {
      const { page, errors } = await open(browser, expPage);
      const nodes = await page.evaluate(() => window.tapegrad.data.nodes);
      const e = nodes.findIndex(n => n.name === "e");
      assert.ok(e >= 0, "e is on the page");
      let sums = 0;
      await stepToEnd(page, async (page) => {
        const send = await page.$(`#panel .send[data-input="${e}"]`);
        if (send && /\+=/.test(await send.textContent())) {
          sums += 1;
          await page.screenshot({ path: path.join(shots, "explain-sum.png") });
        }
      });
      assert.strictEqual(sums, 1, "one running-sum step for e (its second gradient)");
      const grad = await shownGrad(page, e);
      assert.deepStrictEqual(grad, nodes[e].grad.numbers, "e's final gradient is the tape's");
      assert.deepStrictEqual(errors, [], "no console error");
      console.log("exp page: e's gradient adds up once (+=), ending at the tape's " + grad[0]);
    }
  } finally {
    await browser.close();
  }
})().catch(err => { console.error(err); process.exit(1); });
