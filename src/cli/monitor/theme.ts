import { createContext, useContext } from "react";
import { stateStyles } from "../../util/table.js";

/** Whether to draw colours: decided once, from NO_COLOR / FORCE_COLOR and the terminal (util/table's policy). */
export const ColorContext = createContext(true);

export function useColorEnabled(): boolean {
  return useContext(ColorContext);
}

type Color = "green" | "red" | "yellow" | "cyan" | "gray" | "blue" | "magenta";

/** The colour of a job or experiment state, or none when colours are off. */
export function stateColor(state: string, color: boolean): Color | undefined {
  return color ? stateStyles[state] : undefined;
}

/** A named colour, or none when colours are off (bold, dim and inverse are not colours and stay). */
export function tint(name: Color, color: boolean): Color | undefined {
  return color ? name : undefined;
}
