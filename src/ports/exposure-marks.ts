/** One exposure to deduplicate: per person key, flag, variant and UTC day (`YYYY-MM-DD`). */
export interface ExposureMark {
  projectId: number;
  day: string;
  personKey: string;
  flag: string;
  variant: string;
}

/** Remembers exposures already recorded (for two days), so each is stored once a day. */
export interface ExposureMarks {
  /** marks each exposure; true where it was not marked before (record it), in order */
  markFirst(marks: readonly ExposureMark[]): Promise<boolean[]>;
}
