import { useEffect, useState } from "react";
import { isReachable, onReachabilityChange } from "../api/connection";

/** True while the server answers; false from a request that got no answer until a `/health` probe gets one. */
export function useReachable(): boolean {
  const [reachable, setReachable] = useState(isReachable);
  useEffect(() => {
    setReachable(isReachable());
    return onReachabilityChange(setReachable);
  }, []);
  return reachable;
}
