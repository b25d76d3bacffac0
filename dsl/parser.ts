/**
 * The grammar of the mmulab language as a Chevrotain CstParser. Statements end at a
 * newline; inside `{ ... }` items are separated by newlines or commas. Property keys
 * and their arguments are generic here (`Word value* block?`); schema.ts says which
 * keys exist and what they take. Error recovery is on: one text reports every error.
 */
import { tokenMatcher } from 'chevrotain';
import type { CstNode, ICstVisitor, IRecognitionException, IToken, TokenType } from 'chevrotain';
import type { MmuCstVisitor, ProgramCstNode } from './cst.generated.d.ts';
import { RecoveringParser } from './recovery.ts';
import { SYNTAX_MESSAGES, beginRecording, takeExpectations } from './syntax-messages.ts';
import {
  All,
  allTokens,
  And,
  Any,
  As,
  By,
  Colon,
  Comparison,
  Equal,
  ErrorBars,
  Expect,
  ExprWord,
  Export,
  Facet,
  To,
  Comma,
  Let,
  Log,
  LParen,
  Minus,
  Modulo,
  Not,
  Or,
  Plus,
  RParen,
  Slash,
  Star,
  Where,
  Amp,
  Caret,
  Dot,
  Explore,
  Pipe,
  Protocol,
  ShiftLeft,
  ShiftRight,
  Tilde,
  Costs,
  DotDot,
  Extends,
  Identifier,
  LBracket,
  LCurly,
  Migration,
  Newline,
  NumberLike,
  Over,
  Plot,
  RBracket,
  RCurly,
  Run,
  StringLiteral,
  Sweep,
  Table,
  Tracking,
  Use,
  Vm,
  Vary,
  With,
  Word,
  Predict,
  For,
  Title,
  XTitle,
  YTitle,
} from './tokens.ts';
import { lexProgram } from './lexing.ts';
import type { LexProblem } from './lexing.ts';

/** A plot's size clause: `size 600x400` (a word, not a keyword: `size` is also a field). */
export const SIZE_WORD = 'size';

/** The word before a range's step: `1..9 step 2`. */
export const STEP_WORD = 'step';
/** A geometric range's factor: `1..64 x2` (a word: x, then a whole number). */
export const FACTOR_WORD = /^x[0-9][0-9_]*$/;
/** Before a range or a list, one value picked per student: `rate vary 10k/s..40k/s step 10k/s`. */
export const VARY_WORD = 'vary';

export class MmuParser extends RecoveringParser {
  constructor() {
    super(allTokens as TokenType[], {
      recoveryEnabled: true,
      maxLookahead: 3,
      errorMessageProvider: SYNTAX_MESSAGES,
    });
    this.performSelfAnalysis();
  }

  /** program := (Newline | statement)* */
  public program = this.RULE('program', () => {
    this.MANY(() => {
      this.OR([{ ALT: () => this.CONSUME(Newline) }, { ALT: () => this.SUBRULE(this.statement) }]);
    });
  });

  public statement = this.RULE('statement', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.definition) },
      { ALT: () => this.SUBRULE(this.experiment) },
      { ALT: () => this.SUBRULE(this.tableStmt) },
      { ALT: () => this.SUBRULE(this.plotStmt) },
      { ALT: () => this.SUBRULE(this.exportStmt) },
      { ALT: () => this.SUBRULE(this.useStmt) },
      { ALT: () => this.SUBRULE(this.letStmt) },
      { ALT: () => this.SUBRULE(this.expectStmt) },
      { ALT: () => this.SUBRULE(this.predictStmt) },
      { ALT: () => this.SUBRULE(this.protocolDef) },
      { ALT: () => this.SUBRULE(this.exploreStmt) },
    ]);
  });

  /** useStmt := use STRING   e.g. `use "common.mmu"` */
  public useStmt = this.RULE('useStmt', () => {
    this.CONSUME(Use);
    this.CONSUME(StringLiteral, { LABEL: 'path' });
  });

  /** definition := (vm | tracking | costs | migration) WORD (extends NAME)? block */
  public definition = this.RULE('definition', () => {
    this.OR([
      { ALT: () => this.CONSUME(Vm, { LABEL: 'defKind' }) },
      { ALT: () => this.CONSUME(Tracking, { LABEL: 'defKind' }) },
      { ALT: () => this.CONSUME(Costs, { LABEL: 'defKind' }) },
      { ALT: () => this.CONSUME(Migration, { LABEL: 'defKind' }) },
    ]);
    // Any word, keywords included, so that `vm run { ... }` is one error that says the
    // name is a keyword (parse.ts) and the block is still checked.
    this.CONSUME(Word, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(Extends);
      this.CONSUME2(Identifier, { LABEL: 'base' });
    });
    this.SUBRULE(this.block);
  });

  /** block := "{" (Newline | "," | property)* "}" */
  public block = this.RULE('block', () => {
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Newline) },
        { ALT: () => this.CONSUME(Comma) },
        { ALT: () => this.SUBRULE(this.property, { LABEL: 'items' }) },
      ]);
    });
    this.CONSUME(RCurly);
  });

  /** property := WORD value* block?   e.g. `slot ram0 at 0 size 4GiB backing thp` */
  public property = this.RULE('property', () => {
    // A statement keyword (vm, run, ...) cannot start a property: an unclosed block
    // then ends at the next statement and recovery reports one missing '}'.
    this.OR([
      { ALT: () => this.CONSUME(Identifier, { LABEL: 'key' }) },
      { ALT: () => this.CONSUME(Extends, { LABEL: 'key' }) },
      { ALT: () => this.CONSUME(With, { LABEL: 'key' }) },
      { ALT: () => this.CONSUME(Over, { LABEL: 'key' }) },
    ]);
    this.MANY(() => this.SUBRULE(this.value, { LABEL: 'args' }));
    this.OPTION(() => this.SUBRULE(this.block, { LABEL: 'body' }));
  });

  /**
   * value := vary? (atom (".." atom (step atom | xN)?)? | "[" value ("," value)* "]")
   * e.g. `1Gbit/s..25Gbit/s step 4Gbit/s`, `1..64 x2`, `vary [ring, manual]`. `step`
   * and `xN` are words, not keywords (a definition may still be called `step`): a gate
   * on the word's text takes them only right after a range's end. `vary` is a keyword,
   * so that completion knows a name from it, taken only right before a range or a list.
   */
  public value = this.RULE('value', () => {
    this.OPTION4({
      GATE: () => this.boundsFollow(),
      DEF: () => this.CONSUME(Vary, { LABEL: 'vary' }),
    });
    this.OR([
      {
        ALT: () => {
          this.SUBRULE(this.atom, { LABEL: 'from' });
          this.OPTION(() => {
            this.CONSUME(DotDot);
            this.SUBRULE2(this.atom, { LABEL: 'to' });
            this.OPTION2({
              GATE: () => this.LA(1).image === STEP_WORD,
              DEF: () => {
                this.CONSUME(Word, { LABEL: 'stepWord' });
                this.SUBRULE3(this.atom, { LABEL: 'step' });
              },
            });
            this.OPTION3({
              GATE: () => FACTOR_WORD.test(this.LA(1).image),
              DEF: () => this.CONSUME2(Word, { LABEL: 'factor' }),
            });
          });
        },
      },
      { ALT: () => this.SUBRULE(this.list) },
    ]);
  });

  /**
   * atom := WORD | "-"? NUMBER | STRING (`file "trace.csv"`). No field takes a negative
   * number, but `vcpus -4` parses so that the checker says so of the field, rather
   * than the parser of the `-`.
   */
  public atom = this.RULE('atom', () => {
    this.OR([
      { ALT: () => this.CONSUME(Word) },
      {
        ALT: () => {
          this.OPTION(() => this.CONSUME(Minus, { LABEL: 'minus' }));
          this.CONSUME(NumberLike);
        },
      },
      { ALT: () => this.CONSUME(StringLiteral) },
    ]);
  });

  /** After `vary`: a list, or a range (`A..B`, `-A..B`). */
  private boundsFollow(): boolean {
    const next = this.LA(2).tokenType;
    if (next === LBracket) return true;
    const at = next === Minus ? 4 : 3;
    return this.LA(at).tokenType === DotDot;
  }

  public list = this.RULE('list', () => {
    this.CONSUME(LBracket);
    this.MANY_SEP({ SEP: Comma, DEF: () => this.SUBRULE(this.value, { LABEL: 'items' }) });
    this.CONSUME(RBracket);
  });

  /**
   * experiment := (run | sweep) value with value "," value (runOption | whereClause)*
   * e.g. `sweep db with [bitmap, ring], fast seeds 1..5 costs slow where bandwidth >= 10Gbit/s`
   */
  public experiment = this.RULE('experiment', () => {
    this.OR([
      { ALT: () => this.CONSUME(Run, { LABEL: 'mode' }) },
      { ALT: () => this.CONSUME(Sweep, { LABEL: 'mode' }) },
    ]);
    this.SUBRULE(this.value, { LABEL: 'vm' });
    this.CONSUME(With);
    this.SUBRULE2(this.value, { LABEL: 'tracking' });
    this.CONSUME(Comma);
    this.SUBRULE3(this.value, { LABEL: 'migration' });
    // `where` is also a Word, so a run option's key could start with it: the first
    // alternative that fits wins, and `where` starts the condition.
    this.MANY(() =>
      this.OR2({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          { ALT: () => this.SUBRULE(this.whereClause) },
          { ALT: () => this.SUBRULE(this.runOption, { LABEL: 'options' }) },
        ],
      }),
    );
  });

  /**
   * option := WORD value ("," value)*, e.g. `seed 7`, `seeds 1..5`, `costs slow`,
   * `warmup 2s`, `zip bandwidth, downtime`.
   */
  public runOption = this.RULE('runOption', () => {
    this.CONSUME(Word, { LABEL: 'key' });
    this.SUBRULE(this.value, { LABEL: 'arg' });
    this.MANY(() => {
      this.CONSUME(Comma);
      this.SUBRULE2(this.value, { LABEL: 'arg' });
    });
  });

  /**
   * tableStmt := table WORD ("," WORD)* all? whereClause? byClause? aggregates? (with WORD ("," WORD)*)?
   * e.g. `table summary by tracking, bandwidth mean downtime_ms, n with tracking, n`,
   * `table summary all` (every column, not the headline ones)
   */
  public tableStmt = this.RULE('tableStmt', () => {
    this.CONSUME(Table);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.CONSUME(Word, { LABEL: 'views' }) });
    this.OPTION5(() => this.CONSUME(All, { LABEL: 'all' }));
    this.OPTION(() => this.SUBRULE(this.whereClause));
    this.OPTION2(() => this.SUBRULE(this.byClause));
    this.OPTION3(() => this.SUBRULE(this.aggregates));
    this.OPTION4(() => {
      this.CONSUME(With);
      this.AT_LEAST_ONE_SEP2({
        SEP: Comma,
        DEF: () => this.CONSUME2(Word, { LABEL: 'columns' }),
      });
    });
  });

  /** whereClause := where expression   e.g. `where status = completed` */
  public whereClause = this.RULE('whereClause', () => {
    this.CONSUME(Where);
    this.SUBRULE(this.expression);
  });

  /** byClause := by WORD ("," WORD)*   e.g. `by tracking, bandwidth` */
  public byClause = this.RULE('byClause', () => {
    this.CONSUME(By);
    this.AT_LEAST_ONE_SEP({ SEP: Comma, DEF: () => this.CONSUME(Word, { LABEL: 'columns' }) });
  });

  /** aggregates := aggregate ("," aggregate)*   e.g. `mean downtime_ms, p95 total_ms, n` */
  public aggregates = this.RULE('aggregates', () => {
    this.AT_LEAST_ONE_SEP({
      SEP: Comma,
      DEF: () => this.SUBRULE(this.aggregate, { LABEL: 'items' }),
    });
  });

  /** aggregate := NAME NAME?   e.g. `mean downtime_ms`, `p95 total_ms`, `n` */
  public aggregate = this.RULE('aggregate', () => {
    this.CONSUME(Identifier, { LABEL: 'op' });
    this.OPTION(() => this.CONSUME(ExprWord, { LABEL: 'column' }));
  });

  /**
   * plotStmt := plot (WORD "=")? (progress | WORD ("," WORD)* over WORD plotClause*)   e.g.
   * `plot downtime_ms over bandwidth by tracking error ci95`, `plot progress`,
   * `plot fig1 = downtime_ms over bandwidth` (a name for `export plot fig1 to "fig1.svg"`)
   */
  public plotStmt = this.RULE('plotStmt', () => {
    this.CONSUME(Plot);
    this.OPTION({
      GATE: () => this.LA(2).tokenType === Equal,
      DEF: () => {
        this.CONSUME(Word, { LABEL: 'name' });
        this.CONSUME(Equal);
      },
    });
    this.OR({
      // `plot progress` alone; `plot progress over time` is the timeline's column. One
      // token decides, so `plot remaining ovr time` is a misspelt `over`, not a new line.
      MAX_LOOKAHEAD: 1,
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () =>
            this.LA(1).image === 'progress' &&
            this.LA(2).tokenType !== Over &&
            this.LA(2).tokenType !== Comma,
          ALT: () => this.CONSUME2(Word, { LABEL: 'progress' }),
        },
        {
          ALT: () => {
            this.AT_LEAST_ONE_SEP({
              SEP: Comma,
              DEF: () => this.CONSUME3(Word, { LABEL: 'y' }),
            });
            this.CONSUME(Over);
            this.CONSUME4(Word, { LABEL: 'x' });
            // A clause starts with its keyword, or is `size`: any other name after the
            // plot is the next mistake, not a clause (so recovery reports it once).
            this.MANY({
              GATE: () => this.LA(1).tokenType !== Identifier || this.LA(1).image === SIZE_WORD,
              DEF: () => this.SUBRULE(this.plotClause, { LABEL: 'clauses' }),
            });
          },
        },
      ],
    });
  });

  /**
   * plotClause := byClause | facet WORD | whereClause | as WORD | error WORD | log WORD
   *             | (title | xtitle | ytitle) STRING | size NUMBER   (`size 600x400`)
   */
  public plotClause = this.RULE('plotClause', () => {
    this.OR([
      { ALT: () => this.SUBRULE(this.byClause) },
      { ALT: () => this.SUBRULE(this.whereClause) },
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(Facet, { LABEL: 'key' }) },
            { ALT: () => this.CONSUME(As, { LABEL: 'key' }) },
            { ALT: () => this.CONSUME(ErrorBars, { LABEL: 'key' }) },
            { ALT: () => this.CONSUME(Log, { LABEL: 'key' }) },
          ]);
          this.CONSUME(Word, { LABEL: 'arg' });
        },
      },
      {
        ALT: () => {
          this.OR3([
            { ALT: () => this.CONSUME(Title, { LABEL: 'key' }) },
            { ALT: () => this.CONSUME(XTitle, { LABEL: 'key' }) },
            { ALT: () => this.CONSUME(YTitle, { LABEL: 'key' }) },
          ]);
          this.CONSUME(StringLiteral, { LABEL: 'text' });
        },
      },
      {
        GATE: () => this.LA(1).image === SIZE_WORD,
        ALT: () => {
          this.CONSUME(Identifier, { LABEL: 'key' });
          this.CONSUME(NumberLike, { LABEL: 'size' });
        },
      },
    ]);
  });

  /** letStmt := let NAME "=" expression   e.g. `let fault_us = stall_fast_fault_ms * 1000 / pf_fast` */
  public letStmt = this.RULE('letStmt', () => {
    this.CONSUME(Let);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(Equal);
    this.SUBRULE(this.expression);
  });

  /**
   * predictStmt := predict WORD for WORD? atom COMPARISON atom
   * e.g. `predict downtime_ms for ring < bitmap`, `predict total_ms for 1Gbit/s > 10Gbit/s`,
   * `predict total_ms for pml on < off`: the mean of a column for one value of a swept
   * parameter against another's, stated before the run and checked after it. A word
   * followed by a value rather than the comparison names the parameter.
   */
  public predictStmt = this.RULE('predictStmt', () => {
    this.CONSUME(Predict);
    this.CONSUME(Word, { LABEL: 'column' });
    this.CONSUME(For);
    this.OPTION({
      GATE: () => !tokenMatcher(this.LA(2), Comparison),
      DEF: () => this.CONSUME2(Word, { LABEL: 'axis' }),
    });
    this.SUBRULE(this.atom, { LABEL: 'left' });
    this.CONSUME(Comparison, { LABEL: 'op' });
    this.SUBRULE2(this.atom, { LABEL: 'right' });
  });

  /**
   * expectStmt := expect (all | any)? WORD whereClause? byClause? aggregates? ":" expression
   * e.g. `expect summary where tracking = ring: stale_pages > 0`
   */
  public expectStmt = this.RULE('expectStmt', () => {
    this.CONSUME(Expect);
    this.OPTION(() =>
      this.OR([
        { ALT: () => this.CONSUME(All, { LABEL: 'quantifier' }) },
        { ALT: () => this.CONSUME(Any, { LABEL: 'quantifier' }) },
      ]),
    );
    this.CONSUME(Word, { LABEL: 'view' });
    this.OPTION2(() => this.SUBRULE(this.whereClause));
    this.OPTION3(() => this.SUBRULE(this.byClause));
    this.OPTION4(() => this.SUBRULE(this.aggregates));
    this.CONSUME(Colon);
    this.SUBRULE(this.expression, { LABEL: 'condition' });
  });

  /** expression := andExpr (or andExpr)*: `or` binds loosest. */
  public expression = this.RULE('expression', () => {
    this.SUBRULE(this.andExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(Or, { LABEL: 'operators' });
      this.SUBRULE2(this.andExpr, { LABEL: 'operands' });
    });
  });

  /** andExpr := notExpr (and notExpr)* */
  public andExpr = this.RULE('andExpr', () => {
    this.SUBRULE(this.notExpr, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(And, { LABEL: 'operators' });
      this.SUBRULE2(this.notExpr, { LABEL: 'operands' });
    });
  });

  /** notExpr := not notExpr | comparison */
  public notExpr = this.RULE('notExpr', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Not);
          this.SUBRULE(this.notExpr);
        },
      },
      { ALT: () => this.SUBRULE(this.comparison) },
    ]);
  });

  /** comparison := additive (("=" | "!=" | "<" | "<=" | ">" | ">=") additive)?: no chains. */
  public comparison = this.RULE('comparison', () => {
    this.SUBRULE(this.additive, { LABEL: 'operands' });
    this.OPTION(() => {
      this.CONSUME(Comparison, { LABEL: 'operators' });
      this.SUBRULE2(this.additive, { LABEL: 'operands' });
    });
  });

  /** additive := multiplicative (("+" | "-") multiplicative)* */
  public additive = this.RULE('additive', () => {
    this.SUBRULE(this.multiplicative, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Plus, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'operators' }) },
      ]);
      this.SUBRULE2(this.multiplicative, { LABEL: 'operands' });
    });
  });

  /** multiplicative := unary (("*" | "/" | "%") unary)* */
  public multiplicative = this.RULE('multiplicative', () => {
    this.SUBRULE(this.unary, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Star, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Slash, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Modulo, { LABEL: 'operators' }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: 'operands' });
    });
  });

  /** unary := "-" unary | primary */
  public unary = this.RULE('unary', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Minus);
          this.SUBRULE(this.unary);
        },
      },
      { ALT: () => this.SUBRULE(this.primary) },
    ]);
  });

  /**
   * primary := NUMBER | STRING | "(" expression ")" | NAME ("(" (expression ("," expression)*)? ")")?
   * A name is a column, a `let`, a text value or, before "(", a function.
   */
  public primary = this.RULE('primary', () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLike) },
      { ALT: () => this.CONSUME(StringLiteral) },
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.expression, { LABEL: 'inner' });
          this.CONSUME(RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(ExprWord, { LABEL: 'name' });
          this.OPTION(() => {
            this.CONSUME2(LParen, { LABEL: 'call' });
            this.MANY_SEP({
              SEP: Comma,
              DEF: () => this.SUBRULE2(this.expression, { LABEL: 'args' }),
            });
            this.CONSUME2(RParen);
          });
        },
      },
    ]);
  });

  /**
   * protocolDef := protocol NAME "{" (Newline | protoDecl)* "}"
   * A protocol for the race explorer (engine/races): its words (`shared`, `thread`,
   * `load`, ...) are not keywords, so they stay free as names elsewhere; a gate on the
   * word's text picks the alternative, as for `step` in a range.
   */
  public protocolDef = this.RULE('protocolDef', () => {
    this.CONSUME(Protocol);
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Newline) },
        { ALT: () => this.SUBRULE(this.protoDecl, { LABEL: 'decls' }) },
      ]);
    });
    this.CONSUME(RCurly);
  });

  /**
   * protoDecl := (const | shared | ghost) NAME (bits "[" NAME ("," NAME)* "]")? "=" protoExpr
   *            | lock NAME
   *            | thread NAME "(" (NAME ("=" protoExpr)? ("," ...)*)? ")" protoBlock
   *            | invariant NAME (always | at end) protoExpr STRING?
   */
  public protoDecl = this.RULE('protoDecl', () => {
    const word =
      (...words: string[]) =>
      () =>
        words.includes(this.LA(1).image);
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: word('const', 'shared', 'ghost'),
          ALT: () => {
            this.CONSUME(Identifier, { LABEL: 'word' });
            this.CONSUME2(Identifier, { LABEL: 'name' });
            this.OPTION({
              GATE: () => this.LA(1).image === 'bits',
              DEF: () => {
                this.CONSUME3(Identifier, { LABEL: 'word' });
                this.CONSUME(LBracket);
                this.AT_LEAST_ONE_SEP({
                  SEP: Comma,
                  DEF: () => this.CONSUME4(Identifier, { LABEL: 'bits' }),
                });
                this.CONSUME(RBracket);
              },
            });
            this.CONSUME(Equal);
            this.SUBRULE(this.protoExpr, { LABEL: 'value' });
          },
        },
        {
          GATE: word('lock'),
          ALT: () => {
            this.CONSUME5(Identifier, { LABEL: 'word' });
            this.CONSUME6(Identifier, { LABEL: 'name' });
          },
        },
        {
          GATE: word('thread'),
          ALT: () => {
            this.CONSUME7(Identifier, { LABEL: 'word' });
            this.CONSUME8(Identifier, { LABEL: 'name' });
            this.CONSUME(LParen);
            this.MANY_SEP({
              SEP: Comma,
              DEF: () => this.SUBRULE(this.protoRegister, { LABEL: 'registers' }),
            });
            this.CONSUME(RParen);
            this.SUBRULE(this.protoBlock, { LABEL: 'body' });
          },
        },
        {
          GATE: word('invariant'),
          ALT: () => {
            this.CONSUME9(Identifier, { LABEL: 'word' });
            this.CONSUME(Word, { LABEL: 'name' });
            this.OR2({
              IGNORE_AMBIGUITIES: true,
              DEF: [
                {
                  GATE: word('always'),
                  ALT: () => this.CONSUME2(Word, { LABEL: 'when' }),
                },
                {
                  GATE: word('at'),
                  ALT: () => {
                    this.CONSUME3(Word, { LABEL: 'when' });
                    this.CONSUME4(Word, { LABEL: 'when' });
                  },
                },
              ],
            });
            this.SUBRULE2(this.protoExpr, { LABEL: 'value' });
            this.OPTION2(() => this.CONSUME(StringLiteral, { LABEL: 'message' }));
          },
        },
      ],
    });
  });

  /** protoRegister := NAME ("=" protoExpr)?   a thread's register and its initial value */
  public protoRegister = this.RULE('protoRegister', () => {
    this.CONSUME(Identifier, { LABEL: 'name' });
    this.OPTION(() => {
      this.CONSUME(Equal);
      this.SUBRULE(this.protoExpr, { LABEL: 'value' });
    });
  });

  /** protoBlock := "{" (Newline | protoStmt)* "}" */
  public protoBlock = this.RULE('protoBlock', () => {
    this.CONSUME(LCurly);
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Newline) },
        { ALT: () => this.SUBRULE(this.protoStmt, { LABEL: 'stmts' }) },
      ]);
    });
    this.CONSUME(RCurly);
  });

  /**
   * protoStmt, one step or local statement of a thread, with an optional "label" for traces:
   *   load REG = VAR | store VAR = E | cmpxchg (REG =)? VAR, E, E (old REG)?
   * | (xchg | fetch_add | fetch_or | fetch_and | fetch_andnot) (REG =)? VAR, E
   * | fence | lock L | unlock L | atomic STRING? protoBlock | ghost VAR = E | REG = E
   * | if E protoBlock (else (protoBlock | protoStmt))? | loop (at most N)? (while E)? protoBlock
   * | break | continue | return | assert E | assume E
   */
  public protoStmt = this.RULE('protoStmt', () => {
    const word =
      (...words: string[]) =>
      () =>
        words.includes(this.LA(1).image);
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          // REG = E (a register assignment): the only statement whose second token is `=`.
          GATE: () => this.LA(2).tokenType === Equal,
          ALT: () => {
            this.CONSUME(Identifier, { LABEL: 'target' });
            this.CONSUME(Equal);
            this.SUBRULE(this.protoExpr, { LABEL: 'exprs' });
          },
        },
        {
          GATE: word('load'),
          ALT: () => {
            this.CONSUME2(Identifier, { LABEL: 'word' });
            this.CONSUME3(Identifier, { LABEL: 'result' });
            this.CONSUME2(Equal);
            this.CONSUME(Word, { LABEL: 'target' });
          },
        },
        {
          GATE: word('store', 'ghost'),
          ALT: () => {
            this.consume(11, Identifier, { LABEL: 'word' });
            this.consume(12, Identifier, { LABEL: 'target' });
            this.consume(13, Equal);
            this.SUBRULE2(this.protoExpr, { LABEL: 'exprs' });
          },
        },
        {
          GATE: word('cmpxchg', 'xchg', 'fetch_add', 'fetch_or', 'fetch_and', 'fetch_andnot'),
          ALT: () => {
            this.CONSUME4(Identifier, { LABEL: 'word' });
            this.OPTION({
              GATE: () => this.LA(2).tokenType === Equal,
              DEF: () => {
                this.CONSUME5(Identifier, { LABEL: 'result' });
                this.CONSUME3(Equal);
              },
            });
            this.CONSUME6(Identifier, { LABEL: 'target' });
            this.AT_LEAST_ONE(() => {
              this.CONSUME(Comma);
              this.SUBRULE3(this.protoExpr, { LABEL: 'exprs' });
            });
            this.OPTION2({
              GATE: () => this.LA(1).image === 'old',
              DEF: () => {
                this.CONSUME7(Identifier, { LABEL: 'word' });
                this.CONSUME8(Identifier, { LABEL: 'old' });
              },
            });
          },
        },
        {
          GATE: word('lock', 'unlock'),
          ALT: () => {
            this.CONSUME9(Identifier, { LABEL: 'word' });
            this.consume(14, Identifier, { LABEL: 'target' });
          },
        },
        {
          GATE: word('atomic'),
          ALT: () => {
            this.CONSUME2(Word, { LABEL: 'word' });
            // `atomic "label" { ... }`: a label after the block would start a line.
            this.OPTION7(() => this.CONSUME2(StringLiteral, { LABEL: 'label' }));
            this.SUBRULE(this.protoBlock, { LABEL: 'body' });
          },
        },
        {
          GATE: word('if'),
          ALT: () => {
            this.CONSUME3(Word, { LABEL: 'word' });
            this.SUBRULE4(this.protoExpr, { LABEL: 'exprs' });
            this.SUBRULE2(this.protoBlock, { LABEL: 'body' });
            this.OPTION3({
              GATE: () => this.LA(1).image === 'else',
              DEF: () => {
                this.CONSUME4(Word, { LABEL: 'word' });
                this.OR2({
                  IGNORE_AMBIGUITIES: true,
                  DEF: [
                    { ALT: () => this.SUBRULE3(this.protoBlock, { LABEL: 'orElse' }) },
                    {
                      GATE: word('if'),
                      ALT: () => this.SUBRULE(this.protoStmt, { LABEL: 'elseIf' }),
                    },
                  ],
                });
              },
            });
          },
        },
        {
          GATE: word('loop'),
          ALT: () => {
            this.CONSUME5(Word, { LABEL: 'word' });
            // `at most N`, optional in the grammar so that a loop without it gets a
            // diagnostic that says how to bound it rather than a parse error.
            this.OPTION6({
              GATE: () => this.LA(1).image === 'at',
              DEF: () => {
                this.CONSUME6(Word, { LABEL: 'word' });
                this.CONSUME7(Word, { LABEL: 'word' });
                this.CONSUME(NumberLike, { LABEL: 'bound' });
              },
            });
            this.OPTION4({
              GATE: () => this.LA(1).image === 'while',
              DEF: () => {
                this.CONSUME8(Word, { LABEL: 'word' });
                this.SUBRULE5(this.protoExpr, { LABEL: 'exprs' });
              },
            });
            this.SUBRULE4(this.protoBlock, { LABEL: 'body' });
          },
        },
        {
          GATE: word('assert', 'assume'),
          ALT: () => {
            this.CONSUME9(Word, { LABEL: 'word' });
            this.SUBRULE6(this.protoExpr, { LABEL: 'exprs' });
          },
        },
        {
          // fence, break, continue, return, and a misspelt word (reported by the compiler).
          ALT: () => this.consume(10, Identifier, { LABEL: 'word' }),
        },
      ],
    });
    this.OPTION5(() => this.CONSUME(StringLiteral, { LABEL: 'label' }));
  });

  /** protoExpr := protoAnd (or protoAnd)*: the mmulab operators, plus bitwise ones. */
  public protoExpr = this.RULE('protoExpr', () => {
    this.SUBRULE(this.protoAnd, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(Or, { LABEL: 'operators' });
      this.SUBRULE2(this.protoAnd, { LABEL: 'operands' });
    });
  });

  /** protoAnd := protoNot (and protoNot)* */
  public protoAnd = this.RULE('protoAnd', () => {
    this.SUBRULE(this.protoNot, { LABEL: 'operands' });
    this.MANY(() => {
      this.CONSUME(And, { LABEL: 'operators' });
      this.SUBRULE2(this.protoNot, { LABEL: 'operands' });
    });
  });

  /** protoNot := not protoNot | protoCompare */
  public protoNot = this.RULE('protoNot', () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Not);
          this.SUBRULE(this.protoNot);
        },
      },
      { ALT: () => this.SUBRULE(this.protoCompare) },
    ]);
  });

  /** protoCompare := protoArith (("=" | "!=" | "<" | "<=" | ">" | ">=") protoArith)? */
  public protoCompare = this.RULE('protoCompare', () => {
    this.SUBRULE(this.protoArith, { LABEL: 'operands' });
    this.OPTION(() => {
      this.CONSUME(Comparison, { LABEL: 'operators' });
      this.SUBRULE2(this.protoArith, { LABEL: 'operands' });
    });
  });

  /**
   * protoArith := protoUnary (("|" | "^" | "&" | "<<" | ">>" | "+" | "-" | "*") protoUnary)*
   * A flat chain; the AST applies precedence (`|` < `^` < `&` < shifts < `+ -` < `*`,
   * as in Python: `spte & W = 0` is `(spte & W) = 0`).
   */
  public protoArith = this.RULE('protoArith', () => {
    this.SUBRULE(this.protoUnary, { LABEL: 'operands' });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(Pipe, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Caret, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Amp, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(ShiftLeft, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(ShiftRight, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Plus, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Minus, { LABEL: 'operators' }) },
        { ALT: () => this.CONSUME(Star, { LABEL: 'operators' }) },
      ]);
      this.SUBRULE2(this.protoUnary, { LABEL: 'operands' });
    });
  });

  /** protoUnary := ("-" | "~") protoUnary | protoPrimary */
  public protoUnary = this.RULE('protoUnary', () => {
    this.OR([
      {
        ALT: () => {
          this.OR2([
            { ALT: () => this.CONSUME(Minus, { LABEL: 'operator' }) },
            { ALT: () => this.CONSUME(Tilde, { LABEL: 'operator' }) },
          ]);
          this.SUBRULE(this.protoUnary);
        },
      },
      { ALT: () => this.SUBRULE(this.protoPrimary) },
    ]);
  });

  /** protoPrimary := NUMBER | "(" protoExpr ")" | NAME ("." NAME | "(" NAME ")")? */
  public protoPrimary = this.RULE('protoPrimary', () => {
    this.OR([
      { ALT: () => this.CONSUME(NumberLike) },
      {
        ALT: () => {
          this.CONSUME(LParen);
          this.SUBRULE(this.protoExpr, { LABEL: 'inner' });
          this.CONSUME(RParen);
        },
      },
      {
        ALT: () => {
          this.CONSUME(Identifier, { LABEL: 'name' });
          this.OPTION(() => {
            this.OR2([
              {
                ALT: () => {
                  this.CONSUME(Dot);
                  this.CONSUME2(Identifier, { LABEL: 'member' });
                },
              },
              {
                ALT: () => {
                  this.CONSUME2(LParen, { LABEL: 'call' });
                  this.CONSUME3(Identifier, { LABEL: 'member' });
                  this.CONSUME2(RParen);
                },
              },
            ]);
          });
        },
      },
    ]);
  });

  /**
   * exploreStmt := explore NAME exploreOption*
   * e.g. `explore oops memory tso reduction por max_states 100000`
   */
  public exploreStmt = this.RULE('exploreStmt', () => {
    this.CONSUME(Explore);
    this.CONSUME(Identifier, { LABEL: 'protocol' });
    this.MANY(() => this.SUBRULE(this.exploreOption, { LABEL: 'options' }));
  });

  /** exploreOption := WORD (WORD | NUMBER)   `memory tso`, `reduction por`, `max_states 1000000` */
  public exploreOption = this.RULE('exploreOption', () => {
    this.CONSUME(Word, { LABEL: 'key' });
    this.OR([
      { ALT: () => this.CONSUME2(Word, { LABEL: 'arg' }) },
      { ALT: () => this.CONSUME(NumberLike, { LABEL: 'arg' }) },
    ]);
  });

  /**
   * exportStmt := export plot WORD to STRING (as WORD)?
   *             | export WORD ("," WORD)* whereClause? byClause? aggregates? to STRING (as WORD)?
   * e.g. `export summary to "results/" as arrow`, `export plot fig1 to "fig1.pdf"`,
   * `export summary by tracking mean downtime_ms to "t.tex" as latex`
   */
  public exportStmt = this.RULE('exportStmt', () => {
    this.CONSUME(Export);
    this.OR([
      {
        ALT: () => {
          this.CONSUME(Plot);
          this.CONSUME(Word, { LABEL: 'plot' });
        },
      },
      {
        ALT: () => {
          this.AT_LEAST_ONE_SEP({
            SEP: Comma,
            DEF: () => this.CONSUME2(Word, { LABEL: 'views' }),
          });
          this.OPTION(() => this.SUBRULE(this.whereClause));
          this.OPTION2(() => this.SUBRULE(this.byClause));
          this.OPTION3(() => this.SUBRULE(this.aggregates));
        },
      },
    ]);
    this.CONSUME(To);
    this.CONSUME(StringLiteral, { LABEL: 'dir' });
    this.OPTION4(() => {
      this.CONSUME(As);
      this.CONSUME3(Word, { LABEL: 'format' });
    });
  });
}

let instance: MmuParser | undefined;

/**
 * The one parser instance (Chevrotain parsers are reusable: set `input`, call a rule),
 * built on first use. Building it is Chevrotain's self-analysis of the grammar (its
 * lookahead functions), the largest part of a kernel's start-up; a kernel answers
 * kernel_info before any cell needs the grammar.
 */
export function mmuParser(): MmuParser {
  instance ??= new MmuParser();
  return instance;
}

/** The name of a grammar rule, from the generated CST types. */
export type RuleName = Exclude<
  keyof MmuCstVisitor<void, unknown>,
  keyof ICstVisitor<void, unknown>
>;

/** A parse error, and the token it expected when it is a mismatch. */
export interface ParseError {
  exception: IRecognitionException;
  expected: TokenType | undefined;
}

export interface ParseOutput {
  cst: ProgramCstNode;
  /** What the lexer could not read (lexing.ts). */
  lexErrors: LexProblem[];
  parseErrors: ParseError[];
  /** The `#` comments (the lexer's `comments` group), in text order. */
  comments: IToken[];
  /** The tokens the parser read (no comments), in text order. */
  tokens: IToken[];
}

/** The root of every CST: the generated types describe its children. */
function isProgram(node: CstNode): node is ProgramCstNode {
  return node.name === 'program';
}

/**
 * The operators after which an expression goes on: a line ending in one of them
 * (`let x = a +`) continues on the next, as a statement ends at a newline otherwise.
 */
const CONTINUING: readonly TokenType[] = [
  Plus,
  Minus,
  Star,
  Slash,
  Modulo,
  Comparison,
  And,
  Or,
  Not,
];

/** True for a token after which a newline continues the statement. */
export function continuesLine(token: IToken): boolean {
  return CONTINUING.some((t) => tokenMatcher(token, t));
}

/** The tokens without the newlines that follow an operator (the line goes on). */
function joinContinuedLines(tokens: readonly IToken[]): IToken[] {
  const out: IToken[] = [];
  for (const t of tokens) {
    const prev = out[out.length - 1];
    if (t.tokenType === Newline && prev !== undefined && continuesLine(prev)) continue;
    out.push(t);
  }
  return out;
}

/** Lex and parse a text. Never throws on bad input: errors come back as data. */
export function parseCst(text: string): ParseOutput {
  const lexed = lexProgram(text);
  const tokens = joinContinuedLines(lexed.tokens);
  const parser = mmuParser();
  parser.input = tokens;
  beginRecording();
  const cst = parser.program();
  if (!isProgram(cst)) throw new Error(`parser: the program rule built a '${cst.name}' node`);
  const exceptions = [...parser.errors];
  const expected = takeExpectations(exceptions);
  return {
    cst,
    lexErrors: lexed.problems,
    parseErrors: exceptions.map((exception, i) => ({ exception, expected: expected[i] })),
    comments: lexed.comments,
    tokens,
  };
}
