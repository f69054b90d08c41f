// The pages `cargo run --example explain` writes, in a real Chromium (issue 23):
// step through the neuron's forward and backward passes with the keyboard, read the
// gradient the page shows for x1 and compare it with the tape's (−1.5), check the `+=`
// step of a value used twice (the tanh-by-exp page's `e`), check that the console has no
// error, and save screenshots.
//
// The third page records ∂o/∂x1 with create_graph and differentiates it again: the
// derivative's nodes are drawn as a second layer, below the neuron and in their own colour.
//
// The fourth runs the neuron on a batch of two: the bias is broadcast, and the page shows
// the rule's gradient at the batch's shape, then, at the next press, its sum back to the
// bias's shape.
//
//   node tools/browser/explain.test.js <chromium> <explain.html> <explain-exp.html> <shots dir> \
//     <explain-second.html> <explain-batch.html>
"use strict";
const assert = require("assert");
const path = require("path");
const { chromium } = require("playwright-core");

const [executablePath, neuronPage, expPage, shots, secondPage, batchPage] = process.argv.slice(2);

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
    // Gradients of gradients: the recorded derivative is a second layer in its own colour.
    {
      const { page, errors } = await open(browser, secondPage);
      const nodes = await page.evaluate(() => window.tapegrad.data.nodes);
      const derived = nodes.filter(n => n.derivative_of != null);
      assert.ok(derived.length >= 3, `the derivative's ops are marked (${derived.length})`);
      assert.strictEqual(await page.locator("g.node.derived").count(), derived.length, "each is drawn as derived");
      const lowestFunction = Math.max(...nodes.filter(n => n.derivative_of == null && n.id < derived[0].id).map(n => n.layer));
      assert.strictEqual(nodes[derived[0].id - 1].name, "o", "the derivative starts after the function (its seed first)");
      for (const n of derived) {
        assert.ok(n.layer > lowestFunction, `node ${n.id} sits below the function's graph`);
        const fill = await page.$eval(`g[data-node="${n.id}"] > rect`, r => getComputedStyle(r).fill);
        assert.strictEqual(fill, "rgb(241, 230, 248)", `node ${n.id} is drawn in the derivative's colour`);
      }
      const w1 = nodes.findIndex(n => n.name === "w1");
      await stepToEnd(page);
      const grad = await shownGrad(page, w1);
      assert.deepStrictEqual(grad, nodes[w1].grad.numbers, "∂²o/∂w1∂x1 shown is the tape's");
      assert.ok(Math.abs(grad[0] - 4.742640687119285) < 1e-9, `∂²o/∂w1∂x1 = ${grad[0]}, by hand (1 − o²)(1 − 2·w1·o·x1) = 4.7426…`);
      await page.screenshot({ path: path.join(shots, "explain-second.png"), fullPage: true });
      assert.deepStrictEqual(errors, [], "no console error");
      console.log(`second-order page: ${derived.length} derivative nodes drawn as a second layer; ∂²o/∂w1∂x1 = ${grad[0]}`);
    }
    // A broadcast bias: its reduction is a step of its own, ending at the tape's gradient.
    {
      const { page, errors } = await open(browser, batchPage);
      const nodes = await page.evaluate(() => window.tapegrad.data.nodes);
      const b = nodes.findIndex(n => n.name === "b");
      let ruleAt = null, reducedAt = null;
      await stepToEnd(page, async (page, k) => {
        const send = await page.$(`#panel .send[data-input="${b}"]`);
        if (!send) return;
        const text = await send.textContent();
        const shown = await shownGrad(page, b);
        if (await send.$('[data-step="rule"]')) {
          assert.match(text, /1\. The rule, at the output's shape \[2, 1\]/);
          assert.match(text, /next \(→\): summed back to b's shape \[1\]/);
          assert.strictEqual(shown, null, "b has no gradient before its sum");
          ruleAt = k;
        } else if (await send.$('[data-step="sum"]')) {
          assert.match(text, /2\. b was broadcast from \[1\] to \[2, 1\].*summed over axis 0 → \[1\]/);
          assert.match(await page.textContent("#status"), /summed back to its shape/);
          assert.deepStrictEqual(shown, nodes[b].grad.numbers, "the sum delivers b's gradient");
          reducedAt = k;
          await page.screenshot({ path: path.join(shots, "explain-batch.png") });
        }
      });
      assert.ok(ruleAt != null && reducedAt === ruleAt + 1, `the rule (press ${ruleAt}) and then the sum over the batch (press ${reducedAt}) are presses of their own`);
      const grad = await shownGrad(page, b);
      assert.deepStrictEqual(grad, nodes[b].grad.numbers, "∂L/∂b shown is the tape's");
      assert.deepStrictEqual(errors, [], "no console error");
      console.log(`batch page: b's gradient summed over the batch as its own step, ending at ${grad[0]}`);
    }
  } finally {
    await browser.close();
  }
})().catch(err => { console.error(err); process.exit(1); });
