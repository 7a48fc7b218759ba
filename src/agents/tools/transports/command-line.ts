/**
 * A stdio MCP server's command line (a tool's `endpoint` when its transport is stdio), split
 * into the program and its arguments the way a POSIX shell splits words — whitespace separates,
 * single quotes keep everything literally, double quotes keep spaces and honour \" and \\, a
 * backslash outside quotes escapes the next character — and nothing else: no variables, globs,
 * pipes, redirections or command substitution. The program is then started without a shell, so
 * no character of the endpoint is ever interpreted by one.
 */
export interface CommandLine {
  command: string;
  args: string[];
}

export class CommandLineError extends Error {}

export function splitCommandLine(line: string): CommandLine {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line.charAt(i);
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      const next = line.charAt(i + 1);
      if (c === '"') quote = undefined;
      else if (c === "\\" && (next === '"' || next === "\\")) word += line.charAt(++i);
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\") {
      if (i + 1 >= line.length) throw new CommandLineError("the command line ends with a lone backslash");
      word += line.charAt(++i);
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CommandLineError(`the command line has an unclosed ${quote} quote`);
  if (inWord) words.push(word);
  const [command, ...args] = words;
  if (!command) throw new CommandLineError("the command line is empty");
  return { command, args };
}
