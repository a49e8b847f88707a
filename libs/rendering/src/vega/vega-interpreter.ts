/**
 * Vega's expressions evaluated by walking their syntax trees, never compiled into JavaScript:
 * Vega's default turns every expression of a spec into a `Function` in this thread, which one
 * sandbox escape of its code generator would turn into code of the user's running here. This is
 * vega-interpreter 2.3.2 (BSD-3-Clause, © the Vega authors), which is not among the installed
 * packages, in TypeScript, with member access stricter than upstream: no `constructor`,
 * `prototype`, `__proto__` or Object.prototype's methods, and no function constructor, whatever
 * the path to it.
 *
 * Use: `vega.parse(spec, config, { ast: true })` and `new vega.View(runtime, { expr: expressionInterpreter })`.
 */

type Value = unknown;
interface Node {
  type: string;
  name?: string;
  value?: unknown;
  regex?: { pattern: string; flags: string };
  computed?: boolean;
  object?: Node;
  property?: Node;
  callee?: Node;
  arguments?: Node[];
  elements?: Node[];
  operator?: string;
  left?: Node;
  right?: Node;
  argument?: Node;
  test?: Node;
  consequent?: Node;
  alternate?: Node;
  properties?: Array<{ key: Node; value: Node }>;
}
type Fn = (...args: Value[]) => Value;
type FunctionTable = Record<string, Fn>;
interface VegaEvent {
  item?: { datum?: unknown };
  vega: Record<string, Fn>;
}
interface Context {
  functions: FunctionTable;
}

const CONSTANTS: Record<string, number> = {
  NaN: NaN,
  E: Math.E,
  LN2: Math.LN2,
  LN10: Math.LN10,
  LOG2E: Math.LOG2E,
  LOG10E: Math.LOG10E,
  PI: Math.PI,
  SQRT1_2: Math.SQRT1_2,
  SQRT2: Math.SQRT2,
  MIN_VALUE: Number.MIN_VALUE,
  MAX_VALUE: Number.MAX_VALUE,
};

const BINARY: Record<string, (a: never, b: never) => Value> = {
  '*': (a: number, b: number) => a * b,
  '+': (a: number, b: number) => a + b,
  '-': (a: number, b: number) => a - b,
  '/': (a: number, b: number) => a / b,
  '%': (a: number, b: number) => a % b,
  '>': (a: number, b: number) => a > b,
  '<': (a: number, b: number) => a < b,
  '<=': (a: number, b: number) => a <= b,
  '>=': (a: number, b: number) => a >= b,
  '==': (a: unknown, b: unknown) => a == b,
  '!=': (a: unknown, b: unknown) => a != b,
  '===': (a: unknown, b: unknown) => a === b,
  '!==': (a: unknown, b: unknown) => a !== b,
  '&': (a: number, b: number) => a & b,
  '|': (a: number, b: number) => a | b,
  '^': (a: number, b: number) => a ^ b,
  '<<': (a: number, b: number) => a << b,
  '>>': (a: number, b: number) => a >> b,
  '>>>': (a: number, b: number) => a >>> b,
};
const UNARY: Record<string, (a: never) => Value> = { '+': (a: number) => +a, '-': (a: number) => -a, '~': (a: number) => ~a, '!': (a: unknown) => !a };

const ascending = (a: unknown, b: unknown) => ((a as number) < (b as number) || a == null) && b != null ? -1 : ((a as number) > (b as number) || b == null) && a != null ? 1 : 0;
const method = (name: string, cast?: (x: unknown) => unknown) =>
  function (...args: unknown[]) {
    const target = (cast ? cast(args[0]) : args[0]) as Record<string, Fn>;
    return target[name](...args.slice(1));
  };
const datetime = (y: unknown, m = 0, d = 1, H = 0, M = 0, S = 0, ms = 0) => (typeof y === 'string' ? new Date(y) : new Date(y as number, m, d, H, M, S, ms));
const date = (part: (d: Date) => number) => (d: unknown) => part(new Date(d as number));

/** What Vega's code generator inlines rather than calls (the function table of a view has the rest). */
const FUNCTIONS: Record<string, Fn> = {
  isNaN: Number.isNaN as Fn,
  isFinite: Number.isFinite as Fn,
  abs: Math.abs as Fn,
  acos: Math.acos as Fn,
  asin: Math.asin as Fn,
  atan: Math.atan as Fn,
  atan2: Math.atan2 as Fn,
  ceil: Math.ceil as Fn,
  cos: Math.cos as Fn,
  exp: Math.exp as Fn,
  floor: Math.floor as Fn,
  hypot: Math.hypot as Fn,
  log: Math.log as Fn,
  max: Math.max as Fn,
  min: Math.min as Fn,
  pow: Math.pow as Fn,
  random: Math.random as Fn,
  round: Math.round as Fn,
  sin: Math.sin as Fn,
  sqrt: Math.sqrt as Fn,
  tan: Math.tan as Fn,
  clamp: ((a: number, b: number, c: number) => Math.max(b, Math.min(c, a))) as Fn,
  now: Date.now as Fn,
  utc: Date.UTC as Fn,
  datetime: datetime as Fn,
  date: date((d) => d.getDate()),
  day: date((d) => d.getDay()),
  year: date((d) => d.getFullYear()),
  month: date((d) => d.getMonth()),
  hours: date((d) => d.getHours()),
  minutes: date((d) => d.getMinutes()),
  seconds: date((d) => d.getSeconds()),
  milliseconds: date((d) => d.getMilliseconds()),
  time: date((d) => d.getTime()),
  timezoneoffset: date((d) => d.getTimezoneOffset()),
  utcdate: date((d) => d.getUTCDate()),
  utcday: date((d) => d.getUTCDay()),
  utcyear: date((d) => d.getUTCFullYear()),
  utcmonth: date((d) => d.getUTCMonth()),
  utchours: date((d) => d.getUTCHours()),
  utcminutes: date((d) => d.getUTCMinutes()),
  utcseconds: date((d) => d.getUTCSeconds()),
  utcmilliseconds: date((d) => d.getUTCMilliseconds()),
  length: ((x: { length: number }) => x.length) as Fn,
  join: method('join'),
  indexof: method('indexOf'),
  lastindexof: method('lastIndexOf'),
  slice: method('slice'),
  reverse: ((x: unknown[]) => x.slice().reverse()) as Fn,
  sort: ((x: unknown[]) => x.slice().sort(ascending)) as Fn,
  parseFloat: parseFloat as Fn,
  parseInt: parseInt as Fn,
  upper: ((x: unknown) => String(x).toUpperCase()) as Fn,
  lower: ((x: unknown) => String(x).toLowerCase()) as Fn,
  substring: method('substring', String),
  split: method('split', String),
  // A function as the replacement would be called by String.prototype.replace: refused, as Vega's own `replace` does.
  replace: ((s: unknown, pattern: string | RegExp, replacement: unknown) => {
    if (typeof replacement === 'function') throw new Error('Function argument passed to replace.');
    return String(s).replace(pattern, String(replacement));
  }) as Fn,
  trim: ((x: unknown) => String(x).trim()) as Fn,
  btoa: ((x: string) => btoa(x)) as Fn,
  atob: ((x: string) => atob(x)) as Fn,
  encodeURIComponent: ((x: string) => encodeURIComponent(x)) as Fn,
  regexp: ((pattern: string, flags?: string) => new RegExp(pattern, flags)) as Fn,
  test: ((r: string | RegExp, t: string) => RegExp(r).test(t)) as Fn,
};

const EVENT_FUNCTIONS = ['view', 'item', 'group', 'xy', 'x', 'y'];

/** Members no expression may read: Object.prototype's methods, the prototype chain, and whatever leads to a function constructor. */
const BLOCKED_MEMBERS = new Set([
  ...Object.getOwnPropertyNames(Object.prototype).filter((name) => typeof (Object.prototype as Record<string, unknown>)[name] === 'function'),
  '__proto__',
  'constructor',
  'prototype',
  'caller',
  'callee',
  'arguments',
  'then',
]);
const FUNCTION_CONSTRUCTORS = new Set<unknown>([Function, Object.getPrototypeOf(async () => undefined).constructor, Object.getPrototypeOf(function* () { /* generator */ }).constructor, eval, setTimeout, setInterval, setImmediate]);

const isBlocked = (key: unknown, value: unknown) => BLOCKED_MEMBERS.has(String(key)) || FUNCTION_CONSTRUCTORS.has(value);

interface Scope {
  memberDepth: number;
  fn: FunctionTable;
  params: Record<string, unknown> | undefined;
  datum: unknown;
  event: VegaEvent | undefined;
  item: unknown;
}

function visit(scope: Scope, n: Node): Value {
  const $ = (node: Node) => visit(scope, node);
  switch (n.type) {
    case 'Literal':
      // Global and sticky regular expressions carry lastIndex between calls: a fresh one per evaluation.
      return n.regex && n.value && ((n.value as RegExp).global || (n.value as RegExp).sticky) ? new RegExp(n.regex.pattern, n.regex.flags) : n.value;
    case 'Identifier': {
      const id = n.name as string;
      if (scope.memberDepth > 0) return id;
      if (id === 'datum') return scope.datum;
      if (id === 'event') return scope.event;
      if (id === 'item') return scope.item;
      return Object.prototype.hasOwnProperty.call(CONSTANTS, id) ? CONSTANTS[id] : scope.params?.['$' + id];
    }
    case 'MemberExpression': {
      const computed = n.computed;
      const object = $(n.object as Node) as Record<string, unknown>;
      if (!computed) scope.memberDepth += 1;
      const property = $(n.property as Node) as string;
      if (!computed) scope.memberDepth -= 1;
      if (object == null) return undefined;
      const value = object[property];
      return isBlocked(property, value) ? undefined : value;
    }
    case 'CallExpression': {
      let name = (n.callee as Node).name as string;
      // Encoders' internal functions (`_scale`, ...) are the standard ones.
      if (name.startsWith('_')) name = name.slice(1);
      const args = n.arguments ?? [];
      if (name === 'if') return $(args[0]) ? $(args[1]) : $(args[2]);
      const fn = scope.fn[name] ?? (Object.prototype.hasOwnProperty.call(FUNCTIONS, name) ? FUNCTIONS[name] : undefined);
      if (typeof fn !== 'function') throw new Error(`Unrecognized function: ${name}`);
      return fn.apply(scope.fn, args.map($));
    }
    case 'ArrayExpression':
      return (n.elements ?? []).map($);
    case 'BinaryExpression':
      return BINARY[n.operator as string]($(n.left as Node) as never, $(n.right as Node) as never);
    case 'UnaryExpression':
      return UNARY[n.operator as string]($(n.argument as Node) as never);
    case 'ConditionalExpression':
      return $(n.test as Node) ? $(n.consequent as Node) : $(n.alternate as Node);
    case 'LogicalExpression':
      return n.operator === '&&' ? $(n.left as Node) && $(n.right as Node) : $(n.left as Node) || $(n.right as Node);
    case 'ObjectExpression': {
      const out: Record<string, unknown> = {};
      for (const property of n.properties ?? []) {
        scope.memberDepth += 1;
        const key = String($(property.key));
        scope.memberDepth -= 1;
        const value = $(property.value);
        if (!isBlocked(key, value)) out[key] = value;
      }
      return out;
    }
    default:
      throw new Error(`Unsupported expression: ${n.type}`);
  }
}

function interpret(ast: Node, fn: FunctionTable, params: Record<string, unknown> | undefined, datum?: unknown, event?: VegaEvent, item?: unknown): Value {
  const scope: Scope = { memberDepth: 0, fn: Object.create(fn) as FunctionTable, params, datum, event, item };
  // Event functions answer from the event's view context.
  for (const name of EVENT_FUNCTIONS) scope.fn[name] = (...args: Value[]) => (event as VegaEvent).vega[name](...args);
  return visit(scope, ast);
}

interface Item extends Record<string, unknown> {
  datum?: unknown;
}

/** Positions from x2/xc/y2/yc, as Vega's generated encoders compute them. */
function adjustSpatial(item: Item, encode: Record<string, unknown>, swap: boolean): void {
  const num = (key: string) => item[key] as number;
  if (encode.x2) {
    if (encode.x) {
      if (swap && num('x') > num('x2')) [item.x, item.x2] = [item.x2, item.x];
      item.width = num('x2') - num('x');
    } else item.x = num('x2') - (num('width') || 0);
  }
  if (encode.xc) item.x = num('xc') - (num('width') || 0) / 2;
  if (encode.y2) {
    if (encode.y) {
      if (swap && num('y') > num('y2')) [item.y, item.y2] = [item.y2, item.y];
      item.height = num('y2') - num('y');
    } else item.y = num('y2') - (num('height') || 0);
  }
  if (encode.yc) item.y = num('yc') - (num('height') || 0) / 2;
}

type Params = Record<string, unknown>;

/** The `expr` option of a Vega View. */
export const expressionInterpreter = {
  operator: (ctx: Context, expr: { ast: Node }) => (_: Params) => interpret(expr.ast, ctx.functions, _),
  parameter: (ctx: Context, expr: { ast: Node }) => (datum: unknown, _: Params) => interpret(expr.ast, ctx.functions, _, datum),
  event: (ctx: Context, expr: { ast: Node }) => (event: VegaEvent) => interpret(expr.ast, ctx.functions, undefined, undefined, event),
  handler: (ctx: Context, expr: { ast: Node }) => (_: Params, event: VegaEvent) => interpret(expr.ast, ctx.functions, _, event.item?.datum, event),
  encode: (ctx: Context, encode: { marktype: string; channels: Record<string, { ast: Node }> }) => {
    const { marktype, channels } = encode;
    const swap = marktype === 'group' || marktype === 'image' || marktype === 'rect';
    return (item: Item, _: Params) => {
      let changed = 0;
      for (const name in channels) {
        const value = interpret(channels[name].ast, ctx.functions, _, item.datum, undefined, item);
        if (item[name] !== value) {
          item[name] = value;
          changed = 1;
        }
      }
      if (marktype !== 'rule') adjustSpatial(item, channels, swap);
      return changed;
    };
  },
};
