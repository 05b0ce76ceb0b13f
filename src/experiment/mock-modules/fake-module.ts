/**
 * Inert fakes of mocked modules: a Proxy over a function, so that any property access, call or `new`
 * gives another fake, a class may extend one (`class Net extends nn.Module`), and paths named as
 * decorators pass what they decorate through unchanged.
 */

/** Decides, from a fake's path (module then properties), whether it is a pass-through decorator. */
export type IsDecorator = (path: readonly string[]) => boolean;

const pathOf = new WeakMap<object, readonly string[]>();

/** The path of a fake (`["torch", "nn", "Linear"]`), or undefined for anything else. */
export function fakePath(value: unknown): readonly string[] | undefined {
  return (typeof value === "function" || typeof value === "object") && value !== null
    ? pathOf.get(value)
    : undefined;
}

/**
 * A fake for `path`. Properties read from it are fakes themselves, the same one each time
 * (`torch.nn === torch.nn`); each call or `new` gives a fresh one.
 */
export function createFake(path: readonly string[], isDecorator: IsDecorator): unknown {
  const children = new Map<PropertyKey, unknown>();
  const label = path.join(".");
  // A plain `function` (not an arrow or a class) can be both called and constructed.
  const target = function () {} as unknown as object;
  const fake: object = new Proxy(target, {
    get(target, key, receiver) {
      if (children.has(key)) return children.get(key);
      switch (key) {
        case "then": // not a promise: `await fake` and `return fake` from async code give the fake
        case Symbol.hasInstance: // `x instanceof Fake` checks the prototype chain as usual
          return undefined;
        case "default":
          return receiver;
        case "__esModule": // CommonJS interop (esbuild, TypeScript): named imports read from the fake
          return true;
        case Symbol.toPrimitive:
          return (hint: string) => (hint === "number" ? Number.NaN : `[mock ${label}]`);
        case Symbol.toStringTag:
          return "LabrunMock";
        case Symbol.iterator:
          return function* () {};
        case Symbol.asyncIterator:
          return async function* () {};
        case "toString":
        case "toJSON":
          return () => `[mock ${label}]`;
        case "valueOf":
          return () => receiver;
      }
      if (typeof key === "symbol") return Reflect.get(target, key);
      const child = createFake([...path, key], isDecorator);
      children.set(key, child);
      return child;
    },
    set(_target, key, value, receiver) {
      // An instance of a class that extends a fake keeps its own fields.
      if (receiver !== fake)
        return Reflect.defineProperty(receiver as object, key, {
          value,
          writable: true,
          enumerable: true,
          configurable: true,
        });
      children.set(key, value);
      return true;
    },
    has(target, key) {
      return key !== "then" || Reflect.has(target, key);
    },
    deleteProperty(target, key) {
      children.delete(key);
      return Object.hasOwn(target, key) ? Reflect.deleteProperty(target, key) : true;
    },
    apply(_target, _this, args: unknown[]) {
      if (isDecorator(path)) return passThrough(args);
      return createFake([...path, "()"], isDecorator);
    },
    construct(_target, _args, newTarget) {
      // `class Net extends nn.Module`: `new Net()` gets an instance of Net, whose unknown members are fakes
      // through the prototype chain; `new nn.Linear(…)` gets a fresh fake.
      if (newTarget !== fake) return Object.create((newTarget as { prototype: object }).prototype) as object;
      return createFake([...path, "new()"], isDecorator) as object;
    },
  });
  pathOf.set(fake, path);
  return fake;
}

/**
 * What a decorator that changes nothing returns, for each way decorators are called: a function
 * (`compile(fn)`, `@compile class …`), a TC39 decorator `(value, context)`, TypeScript's legacy member
 * decorators `(target, key, descriptor?)`, and decorator factories (`@compile({ mode: "max" })`).
 */
function passThrough(args: readonly unknown[]): unknown {
  const [value, second, third] = args;
  if (args.length >= 2 && typeof second === "object" && second !== null && "kind" in second) return value;
  if (typeof second === "string" || typeof second === "symbol") return args.length >= 3 ? third : undefined;
  if (typeof value === "function") return value;
  return passThroughDecorator;
}

function passThroughDecorator(...args: unknown[]): unknown {
  return passThrough(args);
}
