// The scanned project: every file's units, calls and classes, keyed so declarations from any program find their unit.
import { ts } from "ts-morph";
import { generatedModule } from "../load/generated-clients.js";
import type { LoadedCode, LoadedProgram } from "../load/project.js";
import { scanFile, type FileScan, type FunctionUnit } from "./units.js";

export interface CodeIndex {
  code: LoadedCode;
  files: FileScan[];
  units: FunctionUnit[];
  programOf(fileName: string): LoadedProgram | undefined;
  /** The unit declared by a function node, or by the declaration that holds one (`const f = () => …`). */
  unitOf(node: ts.Node): FunctionUnit | undefined;
  scanOf(fileName: string): FileScan | undefined;
  /** Project classes that extend or implement the class or interface declared by `node`. */
  subtypesOf(node: ts.ClassLikeDeclaration | ts.InterfaceDeclaration): ts.ClassLikeDeclaration[];
  isAnalysed(fileName: string): boolean;
  /** Module specifiers imported (or required) anywhere in the analysed files, and the libraries generated clients among them stand for. */
  importedModules: ReadonlySet<string>;
  /** The module an import specifier written in a file stands for: the library, for an import of a client generated into the project. */
  moduleOf(sourceFile: ts.SourceFile, specifier: string): string;
}

export function nodeKey(node: ts.Node): string {
  return `${node.getSourceFile().fileName}:${node.pos}:${node.end}:${node.kind}`;
}

export function buildIndex(code: LoadedCode): CodeIndex {
  let nextId = 0;
  const files: FileScan[] = [];
  const programByFile = new Map<string, LoadedProgram>();
  const scanByFile = new Map<string, FileScan>();
  for (const loaded of code.programs) {
    for (const sourceFile of loaded.files) {
      const scan = scanFile(sourceFile, () => nextId++);
      files.push(scan);
      programByFile.set(sourceFile.fileName, loaded);
      scanByFile.set(sourceFile.fileName, scan);
    }
  }
  files.sort((a, b) => (a.sourceFile.fileName < b.sourceFile.fileName ? -1 : a.sourceFile.fileName > b.sourceFile.fileName ? 1 : 0));
  const units = files.flatMap((f) => f.units);
  const unitByKey = new Map<string, FunctionUnit>();
  for (const unit of units) unitByKey.set(nodeKey(unit.node), unit);

  let subtypes: Map<string, ts.ClassLikeDeclaration[]> | undefined;
  const buildSubtypes = (): Map<string, ts.ClassLikeDeclaration[]> => {
    const map = new Map<string, ts.ClassLikeDeclaration[]>();
    for (const scan of files) {
      const checker = programByFile.get(scan.sourceFile.fileName)!.checker;
      for (const cls of scan.classes) {
        for (const clause of cls.heritageClauses ?? []) {
          for (const type of clause.types) {
            let symbol = checker.getSymbolAtLocation(type.expression);
            if (symbol && symbol.flags & ts.SymbolFlags.Alias) symbol = safeAliased(checker, symbol);
            for (const declaration of symbol?.declarations ?? []) {
              const key = nodeKey(declaration);
              const list = map.get(key) ?? [];
              list.push(cls);
              map.set(key, list);
            }
          }
        }
      }
    }
    return map;
  };

  const moduleOf = (sourceFile: ts.SourceFile, specifier: string): string =>
    generatedModule(code.generatedClients, specifier, sourceFile.fileName, programByFile.get(sourceFile.fileName)?.program.getCompilerOptions()) ?? specifier;

  return {
    code,
    files,
    importedModules: importedModules(files, moduleOf),
    moduleOf,
    units,
    programOf: (fileName) => programByFile.get(fileName),
    scanOf: (fileName) => scanByFile.get(fileName),
    isAnalysed: (fileName) => scanByFile.has(fileName),
    unitOf(node) {
      const direct = unitByKey.get(nodeKey(node));
      if (direct) return direct;
      if ((ts.isVariableDeclaration(node) || ts.isPropertyDeclaration(node) || ts.isPropertyAssignment(node)) && node.initializer) {
        return unitByKey.get(nodeKey(skipOuterExpressions(node.initializer)));
      }
      if (ts.isExportAssignment(node)) return unitByKey.get(nodeKey(skipOuterExpressions(node.expression)));
      return undefined;
    },
    subtypesOf(node) {
      subtypes ??= buildSubtypes();
      const direct = subtypes.get(nodeKey(node)) ?? [];
      const all = [...direct];
      for (const cls of direct) all.push(...this.subtypesOf(cls));
      return all;
    },
  };
}

export function safeAliased(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol | undefined {
  try {
    const target = checker.getAliasedSymbol(symbol);
    return target.flags & ts.SymbolFlags.Alias || !target.declarations?.length ? undefined : target;
  } catch {
    return undefined;
  }
}

/** Strip parentheses, type assertions, `!`, `satisfies` and `await`. */
export function skipOuterExpressions(node: ts.Expression): ts.Expression {
  let current = node;
  for (;;) {
    if (ts.isParenthesizedExpression(current) || ts.isAsExpression(current) || ts.isNonNullExpression(current) || ts.isSatisfiesExpression(current) || ts.isTypeAssertionExpression(current) || ts.isAwaitExpression(current)) {
      current = current.expression;
    } else {
      return current;
    }
  }
}

function importedModules(files: FileScan[], moduleOf: (sourceFile: ts.SourceFile, specifier: string) => string): Set<string> {
  const modules = new Set<string>();
  for (const scan of files) {
    const add = (specifier: string): void => {
      modules.add(specifier);
      modules.add(moduleOf(scan.sourceFile, specifier));
    };
    for (const statement of scan.sourceFile.statements) {
      if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
        add(statement.moduleSpecifier.text);
      }
    }
    for (const { node } of scan.calls) {
      if (ts.isCallExpression(node) && node.arguments[0] && ts.isStringLiteral(node.arguments[0]) && (node.expression.kind === ts.SyntaxKind.ImportKeyword || (ts.isIdentifier(node.expression) && node.expression.text === "require"))) {
        add(node.arguments[0].text);
      }
    }
  }
  return modules;
}
