import { useStdout } from "ink";
import { useEffect, useState } from "react";

export interface ScreenSize {
  readonly columns: number;
  readonly rows: number;
}

/** The terminal's size, updated when it is resized. */
export function useScreenSize(): ScreenSize {
  const { stdout } = useStdout();
  const read = () => ({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  const [size, setSize] = useState(read);
  useEffect(() => {
    const resized = () => setSize(read());
    stdout.on("resize", resized);
    return () => {
      stdout.off("resize", resized);
    };
  }, [stdout]);
  return size;
}
