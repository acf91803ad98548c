export { Worklist } from './Worklist';
export { NewHarvest } from './NewHarvest';
export { BatchPage } from './BatchPage';
export { ReagentLots } from './ReagentLots';
export { Investigations } from './Investigations';
export { Specifications } from './Specifications';
