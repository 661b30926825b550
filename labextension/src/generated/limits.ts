// Generated from ../src/surveylab/openapi.yaml by scripts/generate-api.mjs (npm run generate:api).
// Do not edit: change the contract and regenerate.

// The REST API's limits (the contract's `x-limits`), each with where it is written.

/** `#/components/schemas/CutoutSize/minimum` */
export const CUTOUT_SIZE_MIN = 0.1;
/** `#/components/schemas/CutoutSize/maximum` */
export const CUTOUT_SIZE_MAX = 12;
/** `#/components/schemas/JobName/maxLength` */
export const JOB_NAME_MAX_LENGTH = 128;
/** `#/components/parameters/JobPageLimit/schema/maximum` */
export const JOB_PAGE_MAX = 500;
/** `#/components/parameters/MOCOrder/schema/minimum` */
export const MOC_ORDER_MIN = 0;
/** `#/components/parameters/MOCOrder/schema/maximum` */
export const MOC_ORDER_MAX = 13;
/** `#/components/schemas/Label/minimum` */
export const LABEL_MIN = 0;
/** `#/components/schemas/Label/maximum` */
export const LABEL_MAX = 9;
/** `#/components/schemas/Labels/properties/labels/maxProperties` */
export const LABELS_MAX = 10000;
/** `#/components/responses/TooLarge/x-max-bytes` */
export const BODY_MAX_BYTES = 1000000;
/** `#/components/schemas/FindingChartRequest/properties/targets/maxItems` */
export const FINDING_CHART_TARGETS_MAX = 20;
/** `#/components/schemas/FindingChartRequest/properties/positions/maxItems` */
export const FINDING_CHART_POSITIONS_MAX = 2000;
/** `#/components/schemas/HelpRequest/properties/subject/maxLength` */
export const HELP_SUBJECT_MAX_LENGTH = 200;
/** `#/components/schemas/HelpRequest/properties/message/maxLength` */
export const HELP_MESSAGE_MAX_LENGTH = 10000;
/** `#/components/schemas/JobRequest/properties/trees/minimum` */
export const ANOMALY_TREES_MIN = 10;
/** `#/components/schemas/JobRequest/properties/trees/maximum` */
export const ANOMALY_TREES_MAX = 1000;
/** `#/components/schemas/JobRequest/properties/sample_size/minimum` */
export const ANOMALY_SAMPLE_SIZE_MIN = 16;
/** `#/components/schemas/JobRequest/properties/sample_size/maximum` */
export const ANOMALY_SAMPLE_SIZE_MAX = 8192;
/** `#/components/schemas/JobRequest/properties/ndim/maximum` */
export const ANOMALY_NDIM_MAX = 10;
/** `#/components/schemas/JobRequest/properties/top/maximum` */
export const ANOMALY_TOP_MAX = 1000;
/** `#/components/schemas/SimilarRequest/properties/k/maximum` */
export const SIMILAR_K_MAX = 1000;
