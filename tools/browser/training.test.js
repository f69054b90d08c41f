// The page `cargo run --release --example moons` writes (issue 23, item 4), in a real
// Chromium: the epoch slider, the keys and play move through the epochs; the plane drawn
// is the recorded P(class 1); the status and the gradient-norm legend show the epoch's
// numbers; the console has no error; a screenshot is saved.
//
//   node tools/browser/training.test.js <chromium> <moons-training.html> <shots dir>
"use strict";
const assert = require("assert");
const path = require("path");
const { chromium } = require("playwright-core");

const [executablePath, file, shots] = process.argv.slice(2);

(async () => {
  const browser = await chromium.launch({ executablePath, args: ["--no-sandbox"] });
  try {
    const page = await browser.newPage({ viewport: { width: 1120, height: 700 } });
    const errors = [];
    page.on("console", m => { if (m.type() === "error") errors.push(m.text()); });
    page.on("pageerror", e => errors.push(String(e)));
    await page.goto("file://" + path.resolve(file));
    const data = await page.evaluate(() => window.training.data);
    const last = data.epochs.length - 1;
    assert.ok(last >= 10, `the run has epochs (${data.epochs.length})`);
    assert.strictEqual(await page.evaluate(() => window.training.at), last, "opens on the last epoch");
    const status = async () => page.textContent("#status");
    assert.match(await status(), new RegExp(`^epoch ${data.epochs[last].epoch} \\(${last + 1} of ${last + 1}\\)`));

    // Keys: Home, →, ←, End.
    await page.keyboard.press("Home");
    assert.match(await status(), /^epoch 1 \(1 of/);
    await page.keyboard.press("ArrowRight");
    assert.strictEqual(await page.evaluate(() => window.training.at), 1);
    await page.keyboard.press("ArrowLeft");
    assert.strictEqual(await page.evaluate(() => window.training.at), 0);
    const first = data.epochs[0];
    assert.ok((await status()).includes("training loss " + first.train_loss.toFixed(4)), "epoch 1's loss is shown");

    // The canvas shows the recorded probabilities: each corner cell's centre pixel has the
    // colour of its P(class 1), where the boundary is not near (P far from 0.5 there and
    // in its neighbours).
    const checkPlane = async (k) => page.evaluate((k) => {
      const { data, probabilities, regionRGB } = window.training;
      const p = probabilities(data.epochs[k]);
      const n = data.grid, canvas = document.getElementById("plane");
      const ctx = canvas.getContext("2d"), W = canvas.width, H = canvas.height;
      let checked = 0;
      for (const [i, j] of [[0, 0], [n - 1, 0], [0, n - 1], [n - 1, n - 1]]) {
        const near = [[i, j], [Math.min(i + 1, n - 1), j], [Math.max(i - 1, 0), j], [i, Math.min(j + 1, n - 1)], [i, Math.max(j - 1, 0)]];
        if (near.some(([a, b]) => Math.abs(p[b * n + a] - 0.5) < 0.3)) continue;
        const x = Math.floor((i + 0.5) * W / n), y = Math.floor(H - (j + 0.5) * H / n);
        // Smoothing blends towards the neighbours' colours, which are close here.
        const got = Array.from(ctx.getImageData(x, y, 1, 1).data.slice(0, 3));
        const want = regionRGB(p[j * n + i]);
        if (got.some((v, c) => Math.abs(v - want[c]) > 6)) return `cell (${i}, ${j}) is ${got}, P = ${p[j * n + i]} wants ${want}`;
        checked += 1;
      }
      return checked;
    }, k);
    const early = await page.evaluate(() => document.getElementById("plane").toDataURL());
    // Drag the slider to the end, as a mouse would (an input event).
    await page.$eval("#epoch", (s, last) => { s.value = last; s.dispatchEvent(new Event("input")); }, last);
    assert.strictEqual(await page.evaluate(() => window.training.at), last);
    const checked = await checkPlane(last);
    assert.ok(typeof checked === "number" && checked >= 1, `the plane is the recorded one: ${checked}`);
    const late = await page.evaluate(() => document.getElementById("plane").toDataURL());
    assert.notStrictEqual(early, late, "the boundary moved between the first and the last epoch");

    // The gradient-norm legend shows this epoch's norms.
    assert.ok(data.params.length >= 2, "the run recorded gradient norms");
    const legend = await page.textContent("#norm-legend");
    const norm = data.epochs[last].grad_norms[0];
    assert.ok(legend.includes(data.params[0] + " " + norm.toExponential(2)), `${legend} shows ${norm}`);

    // Play runs forward; space pauses.
    await page.keyboard.press("Home");
    await page.keyboard.press(" ");
    await page.waitForTimeout(400);
    await page.keyboard.press(" ");
    const played = await page.evaluate(() => window.training.at);
    assert.ok(played >= 2, `play moved through epochs (at ${played})`);
    await page.waitForTimeout(200);
    assert.strictEqual(await page.evaluate(() => window.training.at), played, "space paused it");

    await page.keyboard.press("End");
    await page.screenshot({ path: path.join(shots, "moons-training.png") });
    assert.deepStrictEqual(errors, [], "no console error");
    console.log(`training page: ${data.epochs.length} epochs; slider, keys and play work; the plane is the recorded P(class 1)`);
  } finally {
    await browser.close();
  }
})().catch(err => { console.error(err); process.exit(1); });
