// Copies the JavaScript an offline published notebook inlines into dist/:
// require.js and the Jupyter widgets HTML manager (with the built-in controls).
import { copyFileSync, mkdirSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const files = {
  "require.js": require.resolve("requirejs/require.js"),
  "embed-amd.js": require.resolve("@jupyter-widgets/html-manager/dist/embed-amd.js"),
};
mkdirSync("dist", { recursive: true });
for (const [name, source] of Object.entries(files)) {
  copyFileSync(source, `dist/${name}`);
  console.log(`dist/${name} <- ${source}`);
}
