/**
 * Type-checks one virtual TypeScript file with the compiler's API (strict, NodeNext), so a test can
 * assert that a public type accepts what it should and rejects what it should.
 */
import path from 'node:path';
import ts from 'typescript';

/** The compiler's messages for `source`, as if it were the file at `virtualPath` (absolute). */
export function diagnose(virtualPath: string, source: string): string[] {
  const options: ts.CompilerOptions = { strict: true, noEmit: true, module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, skipLibCheck: true, types: ['node'] };
  const host = ts.createCompilerHost(options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) => (path.resolve(name) === virtualPath ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest));
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => path.resolve(name) === virtualPath || fileExists(name);
  const program = ts.createProgram([virtualPath], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && path.resolve(d.file.fileName) === virtualPath)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}
