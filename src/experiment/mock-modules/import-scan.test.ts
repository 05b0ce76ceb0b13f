import { describe, expect, it } from "vitest";
import { importedNames } from "./import-scan.js";

describe("importedNames", () => {
  it("finds named imports, renamed ones and re-exports of one module only", () => {
    const source = `
      import torch, { nn, compile as torchCompile } from "torch";
      import { Linear,
               type Tensor } from 'torch/nn';
      import type { Module } from "torch";
      export { optim, cuda as gpu } from "torch";
      import { other } from "torchvision";
      import "torch";
    `;
    expect(importedNames(source, "torch")).toEqual(["compile", "cuda", "nn", "optim"]);
    expect(importedNames(source, "torch/nn")).toEqual(["Linear"]);
    expect(importedNames(source, "torchvision")).toEqual(["other"]);
  });

  it("finds members used through a namespace import", () => {
    const source = `import * as tf from "@tensorflow/tfjs";\nconst x = tf.tensor([1]); tf?.layers.dense(); mytf.nope;`;
    expect(importedNames(source, "@tensorflow/tfjs")).toEqual(["layers", "tensor"]);
  });

  it("finds names destructured from a dynamic import", () => {
    const source = `const { nn, optim: o } = await import("torch");\nconst m = (await import("torch")).cuda;`;
    expect(importedNames(source, "torch")).toEqual(["cuda", "nn", "optim"]);
  });

  it("never exports default or then", () => {
    expect(importedNames(`import { default as d, then } from "m";`, "m")).toEqual([]);
  });
});
