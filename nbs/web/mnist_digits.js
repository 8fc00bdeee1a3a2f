// mnist_digits in the browser: `toMnist` is the Python package's `to_mnist` (nbs/14_preprocessing.ipynb) step by step,
// `Reader` runs the exported digit model and not-a-digit guard with onnxruntime-web, for one digit (`read`) or a whole
// number (`readNumber`, the reading chapter's `read_number`). tests/test_browser_page.py
// checks both against Python on the rendered docs site. Their thresholds, ratios and limits are Python's own tables,
// preprocessing.PREPROCESSING and reading.READING, from models.json (`p` and `r` below): none is typed here.
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
  // picture has real transparency (some pixel under p.transparent), else null
  function greyAndAlpha(rgba, w, h, p) {
    const grey = new Float64Array(w * h), alpha = new Float64Array(w * h);
    let transparent = false;
    for (let i = 0; i < w * h; i++) {
      const r = rgba[4 * i], g = rgba[4 * i + 1], b = rgba[4 * i + 2];
      grey[i] = ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16) / 255;
      alpha[i] = rgba[4 * i + 3] / 255;
      if (alpha[i] < p.transparent) transparent = true;
    }
    return [grey, transparent ? alpha : null];
  }

  // 8-connected blobs of ink > 0, as scipy.ndimage.label numbers them (1..n in raster order of their first pixel),
  // and each blob's box [x0, y0, x1, y1] (ends exclusive) at index label - 1
  function label(ink, w, h) {
    const labels = new Int32Array(w * h), boxes = [];
    for (let start = 0; start < w * h; start++) {
      if (ink[start] <= 0 || labels[start]) continue;
      const n = boxes.length + 1, box = [w, h, 0, 0], stack = [start];
      labels[start] = n;
      while (stack.length) {
        const i = stack.pop(), x = i % w, y = (i - x) / w;
        box[0] = Math.min(box[0], x); box[1] = Math.min(box[1], y); box[2] = Math.max(box[2], x + 1); box[3] = Math.max(box[3], y + 1);
        for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) {
          const xx = x + dx, yy = y + dy, j = yy * w + xx;
          if (xx < 0 || yy < 0 || xx >= w || yy >= h || ink[j] <= 0 || labels[j]) continue;
          labels[j] = n; stack.push(j);
        }
      }
      boxes.push(box);
    }
    return [labels, boxes];
  }

  // `ink` without specks: 8-connected blobs holding less than p.speck of the largest blob's ink
  function dropSpecks(ink, w, h, p) {
    const [labels, boxes] = label(ink, w, h);
    if (boxes.length < 2) return ink;
    const mass = new Float64Array(boxes.length + 1);
    ink.forEach((v, i) => { mass[labels[i]] += v; });
    const largest = Math.max(...mass.slice(1));
    return ink.map((v, i) => (labels[i] && mass[labels[i]] >= p.speck * largest ? v : 0));
  }

  // Where the ink is, 0..1 (paper 0), whatever the polarity: preprocessing's ink_of
  function inkOf(rgba, w, h, p) {
    const [grey, alpha] = greyAndAlpha(rgba, w, h, p);
    let ink = alpha;
    if (!ink) ink = median(border(grey, w, h)) < p.dark_paper ? grey : grey.map(v => 1 - v);
    const paper = median(border(ink, w, h));
    const contrast = percentile(ink, p.ink_percentile) - paper;
    ink = contrast >= p.min_contrast ? ink.map(v => Math.min(Math.max((v - paper) / contrast, 0), 1)) : new Float64Array(w * h);
    ink = ink.map(v => (v < p.faint ? 0 : v));
    if (!ink.some(v => v > 0)) throw new BlankImage('the image has no ink that stands out from the background');
    return dropSpecks(ink, w, h, p);
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

  // Any picture of one digit (RGBA pixels, w x h) as MNIST would have it: 28x28 uint8, white ink on black; it needs
  // models.json's `preprocessing`, which Reader.load fetches
  let loaded = null;  // models.json, once Reader.load has fetched it
  function toMnist(rgba, w, h) {
    if (!loaded) throw new Error('toMnist needs the constants in models.json: await mnistDigits.Reader.load first');
    return centerDigit(inkOf(rgba, w, h, loaded.preprocessing), w, h);
  }

  // The ink inside box [x0, y0, x1, y1] as an array of its own, where keep(i) says so (i: the index in `ink`)
  function region(ink, w, [x0, y0, x1, y1], keep = () => true) {
    const out = new Float64Array((x1 - x0) * (y1 - y0));
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) {
      const i = y * w + x; out[(y - y0) * (x1 - x0) + x - x0] = keep(i) ? ink[i] : 0;
    }
    return out;
  }

  // Reading a whole number: the reading chapter's digit_boxes and digit_crops (nbs/17_reading.ipynb), step by step
  const cmpBoxes = (a, b) => { for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] - b[i]; return 0; };
  const union = (a, b) => [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.max(a[2], b[2]), Math.max(a[3], b[3])];
  const stacked = (a, b, r) => Math.min(a[2], b[2]) - Math.max(a[0], b[0]) >= r.stacked * Math.min(a[2] - a[0], b[2] - b[0]);
  const gap = (a, b) => Math.max(a[0], b[0]) - Math.min(a[2], b[2]);
  const same = (a, b) => cmpBoxes(a, b) === 0;

  function mergeStacked(boxes, r) {
    for (let merged = true; merged;) {
      merged = false;
      const out = [];
      for (const box of [...boxes].sort(cmpBoxes)) {
        if (out.length && stacked(out[out.length - 1], box, r)) { out[out.length - 1] = union(out[out.length - 1], box); merged = true; }
        else out.push(box);
      }
      boxes = out;
    }
    return boxes;
  }

  function inkCount(ink, w, b) { let n = 0; for (let y = b[1]; y < b[3]; y++) for (let x = b[0]; x < b[2]; x++) n += ink[y * w + x] > 0; return n; }

  function attachFragments(ink, w, boxes, r) {
    if (!boxes.length) return boxes;
    const height = Math.max(...boxes.map(b => b[3] - b[1])), typical = median(boxes.map(b => inkCount(ink, w, b)));
    const fragment = b => { const short = (b[3] - b[1]) / height, amount = inkCount(ink, w, b);
                            return short < r.short || (short < r.rather_short && amount < r.light * typical) || amount < r.tiny * typical; };
    const digits = boxes.filter(b => !fragment(b));
    for (const piece of boxes) {
      if (digits.some(d => same(d, piece))) continue;  // checked as the loop goes, as Python's generator does
      let near = -1;
      digits.forEach((d, i) => { if (near < 0 || gap(piece, d) < gap(piece, digits[near])) near = i; });
      if (near >= 0 && gap(piece, digits[near]) <= r.attach * height) digits[near] = union(digits[near], piece);
    }
    return digits.length ? digits.sort(cmpBoxes) : boxes;
  }

  function columnInk(ink, w, [x0, y0, x1, y1]) {
    const profile = new Float64Array(x1 - x0);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) profile[x - x0] += ink[y * w + x];
    return profile;
  }
  const pieces = (box, height, r) => { const width = box[2] - box[0];
                                       return width > r.wide * height ? Math.max(2, roundHalfEven(width / (r.digit_width * height))) : 1; };
  function evenCuts(ink, w, box, k, r) {
    const profile = columnInk(ink, w, box), step = (box[2] - box[0]) / k, reach = step / r.cut_reach, cuts = [];
    for (let j = 1; j < k; j++) {
      const lo = Math.trunc(j * step - reach), hi = Math.trunc(j * step + reach) + 1;
      let best = lo;
      for (let i = lo; i < Math.min(hi, profile.length); i++) if (profile[i] < profile[best]) best = i;
      cuts.push(box[0] + best);
    }
    return cuts;
  }
  function tight(ink, w, [x0, y0, x1, y1]) {
    let a = x1, b = y1, c = -1, d = -1;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (ink[y * w + x]) {
      a = Math.min(a, x); b = Math.min(b, y); c = Math.max(c, x + 1); d = Math.max(d, y + 1);
    }
    return c < 0 ? null : [a, b, c, d];
  }
  function valleys(profile) {
    const p = [Infinity, ...profile, Infinity], out = [];
    for (let i = 1; i < profile.length; i++) if (p[i + 1] <= p[i] && p[i + 1] <= p[i + 2]) out.push(i);
    return out;
  }
  function bestPath(edges, score) {
    const better = (o, t) => o[0] !== t[0] ? o[0] > t[0] : cmpBoxes2(o[1], t[1]) > 0;
    const best = new Map([[edges[0], [0, []]]]);
    for (const b of edges.slice(1)) {
      let top = null;
      for (const [a, [s, path]] of best) {
        const k = a + ',' + b;
        if (!score.has(k)) continue;
        const option = [s + score.get(k), [...path, b]];
        if (!top || better(option, top)) top = option;
      }
      if (top) best.set(b, top);
    }
    const last = edges[edges.length - 1];
    return best.has(last) ? best.get(last)[1] : null;
  }
  function cmpBoxes2(a, b) {  // Python's comparison of two lists of numbers
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  }

  // Each box's own ink (blobs mostly inside it, or the blob it was cut from), centred MNIST-style: digit_crops
  function digitCrops(ink, w, h, boxes, r) {
    const [labels, blobs] = label(ink, w, h), total = new Int32Array(blobs.length + 1);
    labels.forEach(l => { total[l]++; });
    return boxes.map(([x0, y0, x1, y1]) => {
      const inside = new Int32Array(blobs.length + 1), owned = new Set();
      for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) inside[labels[y * w + x]]++;
      blobs.forEach(([bx0, by0, bx1, by1], k) => {
        const cutFrom = bx0 <= x0 && x1 <= bx1 && by0 <= y0 && y1 <= by1;
        if (inside[k + 1] && (inside[k + 1] >= r.owned * total[k + 1] || cutFrom)) owned.add(k + 1);
      });
      let piece = region(ink, w, [x0, y0, x1, y1], i => owned.has(labels[i]));
      if (!piece.some(v => v > 0)) piece = region(ink, w, [x0, y0, x1, y1]);
      return centerDigit(piece, x1 - x0, y1 - y0);
    });
  }

  // runtime.with_temperature: the softmax of the logits (the probabilities' logarithms) divided by `temperature`
  function withTemperature(probs, temperature) {
    const scores = probs.map(p => Math.log(Math.max(p, 1.1754943508222875e-38)) / temperature);
    const top = Math.max(...scores), e = scores.map(z => Math.exp(z - top)), sum = e.reduce((a, b) => a + b, 0);
    return e.map(v => v / sum);
  }

  // A phrase of answers.PHRASES (models.json) filled in as Python's str.format does for {name} and {name:.N%}
  function worded(phrases, key, values) {
    return phrases[key].replace(/\{(\w+)(?::\.(\d)%)?\}/g,
      (_, name, places) => places === undefined ? String(values[name]) : (100 * values[name]).toFixed(+places) + '%');
  }

  // An answer in words, as Python's Prediction and Reading say it (str() without the file), bold marks dropped
  function say(phrases, a) {
    let key = a.digit !== null ? 'digit' : 'not a digit', values = a;
    if (a.error != null) key = 'error';
    else if ('digits' in a) {
      const marks = a.digits.map(d => worded(phrases, d.digit !== null ? 'mark' : 'mark, not a digit', d)).join(', ');
      key = !a.digits.length ? 'no number' : a.number ? 'number' : 'no digit among the marks';
      values = {...a, marks};
    } else if (a.best_guess == null) key = 'blank';
    return worded(phrases, key, values).replaceAll('**', '');
  }

  // The models, and the answers `predict` and `read_number` would give
  class Reader {
    constructor(digits, guard, info, ort) { Object.assign(this, {digits, guard, info, ort}); }
    static async load(base, ort) {  // base: the folder of models.json and the ONNX files
      const info = await (await fetch(base + 'models.json')).json();
      loaded = info;
      const [digits, guard] = await Promise.all([info.model.file, info.guard.file].map(
        f => ort.InferenceSession.create(base + f, {executionProviders: ['wasm']})));
      return new Reader(digits, guard, info, ort);
    }
    async batch(session, images) {  // 28x28 uint8 images in, each one's probabilities out
      const x = new Float32Array(images.length * 784);
      images.forEach((image, i) => x.set(image, i * 784));
      const out = (await session.run({images: new this.ort.Tensor('float32', x, [images.length, 28, 28])})).probabilities.data;
      const k = out.length / images.length;
      return images.map((_, i) => Array.from(out.slice(i * k, (i + 1) * k)));
    }
    async read(image) {  // one 28x28 uint8 image from toMnist: predict's answer, calibrated by the model's temperature
      const [[raw], [guard]] = await Promise.all([this.batch(this.digits, [image]), this.batch(this.guard, [image])]);
      const probs = withTemperature(raw, this.info.model.temperature);
      const order = probs.map((p, d) => [p, d]).sort((a, b) => b[0] - a[0]);
      const doubt = guard[1], refused = doubt > this.info.model.guard_threshold, phrases = this.info.phrases;
      return {digit: refused ? null : order[0][1], probability: order[0][0], runner_up: order[1][1],
              runner_up_probability: order[1][0], best_guess: order[0][1], not_a_digit: doubt,
              reason: refused ? worded(phrases, 'refused', {not_a_digit: doubt}) : null, probabilities: probs, refused,
              top3: order.slice(0, 3).map(([p, d]) => ({digit: d, probability: p}))};
    }
    async scores(ink, w, [x0, y0, x1, y1], pairs, height) {  // _piece_scores: model, guard and width together
      const r = this.info.reading, crops = pairs.map(([a, b]) => centerDigit(region(ink, w, [x0 + a, y0, x0 + b, y1]), b - a, y1 - y0));
      const [probs, guard] = await Promise.all([this.batch(this.digits, crops), this.batch(this.guard, crops)]);
      const score = new Map();
      pairs.forEach(([a, b], i) => {
        const width = (b - a) / height - r.typical_width;
        score.set(a + ',' + b, Math.log(Math.max(...probs[i])) + r.guard_weight * Math.log(r.guard_ceiling - guard[i][1])
                               + r.piece_bonus - r.width_penalty * width * width);
      });
      return score;
    }
    async readCuts(ink, w, box, height) {  // _read_cuts: where the pieces of a wide box read best
      const r = this.info.reading, [x0, y0, x1, y1] = box, edges = [0, ...valleys(columnInk(ink, w, box)), x1 - x0];
      const even = () => evenCuts(ink, w, box, pieces(box, height, r), r);
      if (edges.length > r.max_candidates) return even();  // a texture, not digits: too many to read
      const pairs = [];
      for (const a of edges) for (const b of edges)
        if (r.piece_min * height <= b - a && b - a <= r.piece_max * height && region(ink, w, [x0 + a, y0, x0 + b, y1]).some(v => v > 0)) pairs.push([a, b]);
      if (!pairs.length) return [];
      if (pairs.length > r.max_pairs * pieces(box, height, r)) return even();  // a comb
      const path = bestPath(edges, await this.scores(ink, w, box, pairs, height));
      return path !== null ? path.slice(0, -1).map(c => x0 + c) : even();
    }
    marks(ink, w, h) {  // _marks: the blobs of `ink`, stacked ones merged, fragments attached
      const r = this.info.reading;
      return attachFragments(ink, w, mergeStacked(label(ink, w, h)[1], r), r);
    }
    async digitBoxes(ink, w, boxes) {  // split_wide of the marks `boxes`: one box per digit, left to right
      const out = [];
      if (!boxes.length) return boxes;
      const height = Math.max(...boxes.map(b => b[3] - b[1]));
      for (const box of boxes) {
        const cuts = pieces(box, height, this.info.reading) === 1 ? [] : await this.readCuts(ink, w, box, height);
        const edges = [box[0], ...cuts, box[2]];
        for (let i = 0; i + 1 < edges.length; i++) {
          const piece = tight(ink, w, [edges[i], box[1], edges[i + 1], box[3]]);
          if (piece) out.push(piece);
        }
      }
      return out;
    }
    async readNumber(rgba, w, h) {  // read_number on RGBA pixels; with the 28x28 crops the model saw
      const {phrases, preprocessing, reading: r} = this.info, refused = reason => ({number: null, digits: [], crops: [], reason});
      let ink;
      try { ink = inkOf(rgba, w, h, preprocessing); }
      catch (e) {
        if (!(e instanceof BlankImage)) throw e;
        return refused(phrases['blank image']);
      }
      const blobs = label(ink, w, h)[1].length;
      if (blobs > r.max_marks) return refused(worded(phrases, 'too many marks', {count: blobs}));
      const marks = this.marks(ink, w, h), height = Math.max(...marks.map(b => b[3] - b[1]));
      const wide = marks.reduce((n, b) => n + pieces(b, height, r), 0);
      if (wide > r.max_digits) return refused(worded(phrases, 'too wide', {count: wide}));
      const boxes = await this.digitBoxes(ink, w, marks), crops = digitCrops(ink, w, h, boxes, r), digits = [];
      for (let i = 0; i < boxes.length; i++) digits.push({...await this.read(crops[i]), box: boxes[i]});
      const number = digits.filter(d => d.digit !== null).map(d => d.digit).join('') || null;
      return {number, digits, crops, reason: number ? null : this.info.phrases['no digit']};
    }
    say(answer) { return say(this.info.phrases, answer); }  // the answer in words
  }

  window.mnistDigits = {toMnist, BlankImage, Reader};
})();
