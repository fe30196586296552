/** This package's version (kept equal to package.json by a test); plugins report it when loaded. */
export const VERSION = '0.0.0';
