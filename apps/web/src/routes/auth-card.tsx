import type { ReactNode } from "react";

/** The centred card used by the signed-out pages (login, setup). */
export function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="min-vh-100 d-flex align-items-center justify-content-center bg-body-tertiary p-3">
      <div className="card shadow-sm w-100" style={{ maxWidth: 420 }}>
        <div className="card-body p-4">
          <div className="fw-semibold text-primary mb-1">OpsConductor</div>
          <h1 className="h4 mb-4">{title}</h1>
          {children}
        </div>
      </div>
    </div>
  );
}
