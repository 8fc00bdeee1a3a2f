// mnist_digits in the browser: `toMnist` is the Python package's `to_mnist` (nbs/06_preprocessing.ipynb) step by step,
// and `Reader` runs the exported digit model and not-a-digit guard with onnxruntime-web. tests/test_browser_page.py
// checks both against Python on the rendered docs site.
(function () {
  'use strict';
  const MNIST_CENTRE = 14.0;  // row and column of MNIST digits' centre of mass

  class BlankImage extends Error {}

  // Python's round() and numpy's .round(): halves go to the even neighbour
  function roundHalfEven(x) {
    const r = Math.round(x);
    return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
  }

  // numpy.median of a list of numbers
  function median(values) {
    const a = Float64Array.from(values).sort(), n = a.length;
    return n % 2 ? a[(n - 1) / 2] : (a[n / 2 - 1] + a[n / 2]) / 2;
  }

  // numpy.percentile(values, q) with its default linear interpolation
  function percentile(values, q) {
    const a = Float64Array.from(values).sort(), pos = (q / 100) * (a.length - 1);
    const lo = Math.floor(pos), t = pos - lo, hi = Math.min(lo + 1, a.length - 1);
    const d = a[hi] - a[lo];
    return t >= 0.5 ? a[hi] - d * (1 - t) : a[lo] + d * t;
  }

  // The four edges of a (h, w) array, as preprocessing's _border: top row, bottom row, left column, right column
  function border(a, w, h) {
    const out = [];
    for (let x = 0; x < w; x++) out.push(a[x]);
    for (let x = 0; x < w; x++) out.push(a[(h - 1) * w + x]);
    for (let y = 0; y < h; y++) out.push(a[y * w]);
    for (let y = 0; y < h; y++) out.push(a[y * w + w - 1]);
    return out;
  }

  // RGBA pixels as Pillow sees them: grey levels in 0..1 (Pillow's 'L' conversion), and alpha in 0..1 when the
  // picture has real transparency (some pixel under 0.99), else null
  function greyAndAlpha(rgba, w, h) {
    const grey = new Float64Array(w * h), alpha = new Float64Array(w * h);
    let transparent = false;
    for (let i = 0; i < w * h; i++) {
      const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
      grey[i] = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255;
      alpha[i] = rgba[4 * i + 3] / 255;
      if (alpha[i] < 0.99) transparent = true;
    }
    return [grey, transparent ? alpha : null];
  }

  // `ink` without specks: 8-connected blobs holding less than `least` of the largest blob's ink
  function dropSpecks(ink, w, h, least = 0.02) {
    const labels = new Int32Array(w * h), mass = [0];
    let n = 0;
    for (let start = 0; start < w * h; start++) {
      if (ink[start] <= 0 || labels[start]) continue;
      n += 1; mass.push(0); labels[start] = n;
      const stack = [start];
      while (stack.length) {
        const i = stack.pop(), x = i % w, y = (i - x) / w;
        mass[n] += ink[i];
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy, j = yy * w + xx;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || ink[j] <= 0 || labels[j]) continue;
          labels[j] = n; stack.push(j);
        }
      }
    }
    if (n < 2) return ink;
    const largest = Math.max(...mass.slice(1));
    return ink.map((v, i) => (labels[i] && mass[labels[i]] >= least * largest ? v : 0));
  }

  // Where the ink is, 0..1 (paper 0), whatever the polarity: preprocessing's ink_of
  function inkOf(rgba, w, h) {
    const [grey, alpha] = greyAndAlpha(rgba, w, h);
    let ink = alpha;
    if (!ink) ink = median(border(grey, w, h)) < 0.5 ? grey : grey.map(v => 1 - v);
    const paper = median(border(ink, w, h));
    const contrast = percentile(ink, 99.9) - paper;
    ink = contrast >= 0.1 ? ink.map(v => Math.min(Math.max((v - paper) / contrast, 0), 1)) : new Float64Array(w * h);
    ink = ink.map(v => (v < 0.2 ? 0 : v));
    if (!ink.some(v => v > 0)) throw new BlankImage('the image has no ink that stands out from the background');
    return dropSpecks(ink, w, h);
  }

  // Pillow's LANCZOS filter and its resampling of a float ('F') image, one axis at a time
  function sinc(x) { if (x === 0) return 1; x *= Math.PI; return Math.sin(x) / x; }
  function lanczos(x) { return -3 <= x && x < 3 ? sinc(x) * sinc(x / 3) : 0; }

  function coefficients(inSize, outSize) {
    const scale = inSize / outSize, filterscale = Math.max(scale, 1), support = 3 * filterscale;
    const out = [];
    for (let xx = 0; xx < outSize; xx++) {
      const center = (xx + 0.5) * scale, ss = 1 / filterscale;
      const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
      const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
      const k = [];
      let ww = 0;
      for (let x = 0; x < xmax; x++) { const v = lanczos((x + xmin - center + 0.5) * ss); k.push(v); ww += v; }
      out.push([xmin, ww !== 0 ? k.map(v => v / ww) : k]);
    }
    return out;
  }

  function resizeLanczos(src, w, h, W, H) {  // src: Float32Array (h, w); returns Float32Array (H, W)
    let a = src, aw = w;
    if (W !== w) {
      const cs = coefficients(w, W), out = new Float32Array(W * h);
      for (let y = 0; y < h; y++) for (let xx = 0; xx < W; xx++) {
        const [xmin, k] = cs[xx];
        let s = 0;
        for (let x = 0; x < k.length; x++) s += a[y * aw + xmin + x] * k[x];
        out[y * W + xx] = s;
      }
      a = out; aw = W;
    }
    if (H !== h) {
      const cs = coefficients(h, H), out = new Float32Array(aw * H);
      for (let yy = 0; yy < H; yy++) {
        const [ymin, k] = cs[yy];
        for (let x = 0; x < aw; x++) {
          let s = 0;
          for (let y = 0; y < k.length; y++) s += a[(ymin + y) * aw + x] * k[y];
          out[yy * aw + x] = s;
        }
      }
      a = out;
    }
    return a;
  }

  // `ink` cropped to the digit and resized so that its longer side is 20 pixels: preprocessing's _fit_in_20
  function fitIn20(ink, w, h) {
    let x0 = w, x1 = -1, y0 = h, y1 = -1;
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) if (ink[y * w + x]) {
      x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y);
    }
    const cw = x1 - x0 + 1, ch = y1 - y0 + 1, crop = new Float32Array(cw * ch);
    for (let y = 0; y < ch; y++) for (let x = 0; x < cw; x++) crop[y * cw + x] = ink[(y0 + y) * w + x0 + x];
    const side = Math.max(cw, ch);
    const W = Math.max(1, roundHalfEven(cw * 20 / side)), H = Math.max(1, roundHalfEven(ch * 20 / side));
    const small = resizeLanczos(crop, cw, ch, W, H);
    let top = 0;
    for (const v of small) top = Math.max(top, v);
    top = Math.max(top, 1e-6);
    return [Float64Array.from(small, v => Math.min(Math.max(v / top, 0), 1)), W, H];
  }

  // The digit in 28x28 with its centre of mass where MNIST's is: preprocessing's center_digit; uint8
  function centerDigit(ink, w, h) {
    const [small, W, H] = fitIn20(ink, w, h);
    let total = 0, sy = 0, sx = 0;
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) {
      const v = small[y * W + x]; total += v; sy += y * v; sx += x * v;
    }
    const top = Math.min(Math.max(roundHalfEven(MNIST_CENTRE - sy / total), 0), 28 - H);
    const left = Math.min(Math.max(roundHalfEven(MNIST_CENTRE - sx / total), 0), 28 - W);
    const out = new Uint8Array(28 * 28);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out[(top + y) * 28 + left + x] = roundHalfEven(small[y * W + x] * 255);
    return out;
  }

  // Any picture of one digit (RGBA pixels, w x h) as MNIST would have it: 28x28 uint8, white ink on black
  function toMnist(rgba, w, h) { return centerDigit(inkOf(rgba, w, h), w, h); }

  // The models, and the verdict `predict` would give
  class Reader {
    constructor(digits, guard, info) { Object.assign(this, {digits, guard, info}); }
    static async load(base, ort) {  // base: the folder of models.json and the ONNX files
      const info = await (await fetch(base + 'models.json')).json();
      const [digits, guard] = await Promise.all([info.model.file, info.guard.file].map(
        f => ort.InferenceSession.create(base + f, {executionProviders: ['wasm']})));
      return new Reader(digits, guard, info);
    }
    async probabilities(session, image, ort) {
      const x = new ort.Tensor('float32', Float32Array.from(image), [1, 28, 28]);
      return Array.from((await session.run({images: x})).probabilities.data);
    }
    async read(image, ort) {  // image: 28x28 uint8 from toMnist
      const [probs, guard] = await Promise.all([this.probabilities(this.digits, image, ort),
                                                this.probabilities(this.guard, image, ort)]);
      const order = probs.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]);
      const doubt = guard[1], refused = doubt > this.info.model.guard_threshold;
      return {digit: refused ? null : order[0][1], probabilities: probs, top3: order.slice(0, 3).map(([p, d]) => ({digit: d, probability: p})),
              not_a_digit: doubt, refused};
    }
  }

  window.mnistDigits = {toMnist, inkOf, BlankImage, Reader, roundHalfEven};
})();
