// Writes nsfwjs_expected.json: the TensorFlow.js outputs of the models the
// nsfwjs npm package bundles, on the pattern image of nsfwjs_test.go.
//
// Run (from this directory) with nsfwjs and @tensorflow/tfjs installed:
//   npm install --prefix /tmp/nsfwjs nsfwjs@4.4.0 --ignore-scripts --legacy-peer-deps
//   npm install --prefix /tmp/tfjsref @tensorflow/tfjs@4.22.0 --ignore-scripts
//   NODE_PATH=/tmp/tfjsref/node_modules NSFWJS_DIR=/tmp/nsfwjs/node_modules/nsfwjs \
//     node nsfwjs_expected.js > nsfwjs_expected.json
const tf = require('@tensorflow/tfjs');
const path = require('path');

const dir = process.env.NSFWJS_DIR;
const models = { mobilenet_v2: 224, inception_v3: 299 };

async function run(name, size) {
  const mdir = path.join(dir, 'dist', 'models', name);
  const modelJSON = require(path.join(mdir, 'model.min.js'));
  const specs = [];
  const buffers = [];
  for (const group of modelJSON.weightsManifest) {
    specs.push(...group.weights);
    for (const p of group.paths) {
      buffers.push(Buffer.from(require(path.join(mdir, p + '.min.js')), 'base64'));
    }
  }
  const data = Buffer.concat(buffers);
  const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: modelJSON.modelTopology, weightSpecs: specs, weightData }));
  const n = size * size * 3;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = ((i * 7919) % 256) / 255;
  const y = model.predict(tf.tensor(x, [1, size, size, 3]));
  return Array.from(await y.data());
}

(async () => {
  await tf.setBackend('cpu');
  const out = { nsfwjs: require(path.join(dir, 'package.json')).version,
    tfjs: tf.version.tfjs, backend: tf.getBackend(), models: {} };
  for (const [name, size] of Object.entries(models)) {
    out.models[name] = { size, prob: await run(name, size) };
  }
  console.log(JSON.stringify(out, null, 1));
})();
