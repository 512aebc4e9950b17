/** Kept equal to package.json's version (the tidy check compares them). */
export const VERSION = "0.1.0";
