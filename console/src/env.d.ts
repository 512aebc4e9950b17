/** Style sheets are imported for their side effect; bun build emits them as one CSS asset. */
declare module "*.css";
