import { useState } from "react";

/** A text field with suggestions that adds a column to a table when submitted. */
export function ColumnPicker(props: {
  id: string;
  placeholder: string;
  options: readonly string[];
  onAdd: (key: string) => void;
  testId: string;
}) {
  const [value, setValue] = useState("");
  return (
    <form onSubmit={(e) => (e.preventDefault(), props.onAdd(value), setValue(""))}>
      <input
        list={props.id}
        placeholder={props.placeholder}
        value={value}
        onChange={(e) => setValue(e.target.value)}
        data-testid={props.testId}
      />
      <datalist id={props.id}>
        {props.options.map((k) => (
          <option key={k} value={k} />
        ))}
      </datalist>
    </form>
  );
}
