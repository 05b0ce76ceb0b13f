import { describe, expect, it } from "vitest";
import { createFake, fakePath } from "./fake-module.js";

const decorators = new Set(["torch\0compile", "torch\0jit\0script"]);
const torch = createFake(["torch"], (path) => decorators.has(path.join("\0"))) as Record<string, any>;

describe("fakes", () => {
  it("give fakes for any property, call and new; properties are stable", () => {
    expect(torch.nn).toBe(torch.nn);
    expect(fakePath(torch.nn.functional.relu)).toEqual(["torch", "nn", "functional", "relu"]);
    const layer = new torch.nn.Linear(3, 4);
    expect(fakePath(layer)).toEqual(["torch", "nn", "Linear", "new()"]);
    expect(fakePath(layer.forward(torch.randn(2)))).toBeDefined();
    expect(torch.default).toBe(torch);
    expect(torch.__esModule).toBe(true);
  });

  it("are not thenables, iterate as empty, and print as what they stand for", async () => {
    expect(await Promise.resolve(torch.cuda)).toBe(torch.cuda);
    expect([...torch.cuda.devices]).toEqual([]);
    expect(`${torch.nn.Linear}`).toBe("[mock torch.nn.Linear]");
    expect(String(torch.version)).toBe("[mock torch.version]");
    expect(JSON.stringify({ v: torch.version })).toBe('{"v":"[mock torch.version]"}');
    expect("anything" in torch).toBe(true);
  });

  it("keep values assigned to them", () => {
    torch.manualSeed = 42;
    expect(torch.manualSeed).toBe(42);
    delete torch.manualSeed;
    expect(fakePath(torch.manualSeed)).toEqual(["torch", "manualSeed"]);
  });

  it("can be extended by classes whose instances keep their own fields and methods", () => {
    class Net extends torch.nn.Module {
      hidden: number;
      constructor(hidden: number) {
        super();
        this.hidden = hidden;
      }
      size(): number {
        return this.hidden * 2;
      }
    }
    const a = new Net(3);
    const b = new Net(5);
    expect(a).toBeInstanceOf(Net);
    expect([a.hidden, b.hidden, a.size()]).toEqual([3, 5, 6]);
    expect(fakePath((a as any).parameters())).toBeDefined();
  });

  it("named decorators pass what they decorate through, in every calling form", () => {
    const step = (x: number) => x + 1;
    expect(torch.compile(step)).toBe(step);
    expect(torch.compile({ mode: "max-autotune" })(step)).toBe(step);
    expect(torch.jit.script(step)).toBe(step);
    class Model {}
    expect(torch.compile(Model, { kind: "class", name: "Model" })).toBe(Model);
    const descriptor = { value: step };
    expect(torch.compile({}, "forward", descriptor)).toBe(descriptor);
    expect(torch.compile({}, "field")).toBeUndefined();
    // Not a decorator: a call gives a fake.
    expect(torch.no_grad(step)).not.toBe(step);
  });
});
