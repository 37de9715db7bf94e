// @ts-check
/** `/schedule`: being written (issue 16); this placeholder exists so the workspace links. */
/** @import { CommandBackend } from "takopi" */
/** @type {CommandBackend} */
const schedule = {
  id: "schedule",
  description: "run a prompt later or on a schedule",
  async handle() {
    return { text: "schedule: not built yet" };
  },
};
export default schedule;
