import type { ReactNode } from "react";

/** A blocking question with a destructive answer (cancelling jobs). */
export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <div className="modal-back" onClick={props.onClose}>
      <div className="modal" role="dialog" aria-label={props.title} onClick={(e) => e.stopPropagation()}>
        <h2 style={{ marginTop: 0 }}>{props.title}</h2>
        <div>{props.children}</div>
        <div className="actions">
          <button onClick={props.onClose}>Keep running</button>
          <button className="danger" data-testid="confirm" onClick={props.onConfirm}>
            {props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
