import type { SignedInStaff } from '../staff/http.js';
import type { SurveyStatus } from '../surveys/store.js';

/** Who sees results: administrators always (marked provisional while the survey is open);
 * inspectors and liaisons once it is closed, liaisons for their own agency only. */
export function canSeeResults(staff: Pick<SignedInStaff, 'role'>, status: SurveyStatus): boolean {
  if (staff.role === 'administrator') return true;
  return status === 'closed';
}

export function canSeeAgency(staff: Pick<SignedInStaff, 'role' | 'agencyCode'>, agencyCode: string): boolean {
  return staff.role !== 'liaison' || staff.agencyCode?.toLowerCase() === agencyCode.toLowerCase();
}
