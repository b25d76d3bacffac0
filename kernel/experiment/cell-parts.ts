/**
 * How the kernel reads a cell: lines that start with `%` are kernel commands
 * (`%help`, `%variant 3`), every other line is the language. The language lines
 * between two commands are compiled (and formatted, `mmulab fmt`) as one text.
 */

/** A part of a cell: kernel command lines, or language lines (others blanked). */
export type CellPart =
  | { kind: 'command'; name: string; arg: string; line: number; column: number; text: string }
  | { kind: 'code'; text: string };

const COMMAND_LINE = /^[ \t]*%(\w*)[ \t]*(.*?)[ \t]*$/;

/** True if a line of a cell is a kernel command (`%help`), not the language. */
export function isCommandLine(line: string): boolean {
  return COMMAND_LINE.test(line);
}

/** Split a cell into its parts; code keeps its line numbers by blanking the other lines. */
export function splitCell(code: string): CellPart[] {
  const lines = code.split(/\r?\n/);
  const parts: CellPart[] = [];
  let chunk: string[] | undefined;
  lines.forEach((text, i) => {
    const m = COMMAND_LINE.exec(text);
    if (m) {
      if (chunk) parts.push({ kind: 'code', text: chunk.join('\n') });
      chunk = undefined;
      parts.push({
        kind: 'command',
        name: m[1] ?? '',
        arg: m[2] ?? '',
        line: i + 1,
        column: text.indexOf('%') + 1,
        text: text.trim(),
      });
    } else {
      chunk ??= new Array<string>(i).fill('');
      chunk.push(text);
    }
  });
  if (chunk && chunk.some((l) => l.trim() !== ''))
    parts.push({ kind: 'code', text: chunk.join('\n') });
  return parts;
}
