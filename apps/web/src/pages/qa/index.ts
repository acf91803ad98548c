export { ReleaseQueue } from './ReleaseQueue';
export { Review } from './Review';
export { AuditTrail } from './AuditTrail';
export { Recalls } from './Recalls';
