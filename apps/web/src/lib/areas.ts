import type { Role } from './api';

/**
 * The app's areas and who may open them: the navigation and the route guards read this one
 * table, and it mirrors the API's own rules (the API refuses anything else anyway).
 */
export interface Area {
  path: string;
  label: string;
  roles: readonly Role[];
  /** Shown in the navigation (detail pages are not). */
  nav: boolean;
}

const LAB = ['technician', 'qa_manager'] as const;

export const AREAS = {
  worklist: { path: '/lab/worklist', label: 'Worklist', roles: LAB, nav: true },
  newHarvest: { path: '/lab/harvest', label: 'New harvest', roles: ['technician'], nav: true },
  batch: { path: '/lab/batches/:id', label: 'Batch', roles: LAB, nav: false },
  reagents: { path: '/lab/reagents', label: 'Reagent lots', roles: LAB, nav: true },
  storage: { path: '/lab/storage', label: 'Storage', roles: LAB, nav: true },
  releaseQueue: { path: '/qa/release', label: 'Release queue', roles: ['qa_manager'], nav: true },
  review: { path: '/qa/release/:id', label: 'Release review', roles: ['qa_manager'], nav: false },
  investigations: { path: '/lab/investigations', label: 'Investigations', roles: LAB, nav: true },
  specifications: { path: '/lab/specifications', label: 'Specifications', roles: LAB, nav: true },
  audit: { path: '/audit-trail', label: 'Audit trail', roles: ['qa_manager', 'admin'], nav: true },
  recalls: { path: '/qa/recalls', label: 'Recalls', roles: ['qa_manager'], nav: true },
  users: { path: '/admin/users', label: 'Users and clinics', roles: ['admin'], nav: true },
  shipments: { path: '/clinic', label: 'Shipments and vials', roles: ['clinic'], nav: true },
} as const satisfies Record<string, Area>;

export type AreaName = keyof typeof AREAS;

export function mayOpen(area: AreaName, role: Role | undefined): boolean {
  return !!role && (AREAS[area].roles as readonly Role[]).includes(role);
}

export const ROLE_LABELS: Record<Role, string> = {
  technician: 'Technician',
  qa_manager: 'QA manager',
  admin: 'Administrator',
  clinic: 'Clinic',
};

/** Where each role starts after signing in. */
export const HOME: Record<Role, string> = {
  technician: '/lab/worklist',
  qa_manager: '/qa/release',
  admin: '/admin/users',
  clinic: '/clinic',
};

export function batchPath(id: string): string {
  return `/lab/batches/${id}`;
}
