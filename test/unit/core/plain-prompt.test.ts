import { describe, expect, it } from "vitest";
import { plainPromptProject, plainPromptTarget } from "../../../src/core/plain-prompt.js";

const projects = { web: { chat_id: null }, api: { chat_id: -100 } };

describe("plainPromptTarget", () => {
  it("without a projects directory keeps upstream's behaviour: takopi's directory unless a default is set", () => {
    expect(plainPromptTarget({ projects, default_project: null, projects_dir: null }, 1)).toEqual({ kind: "cwd" });
    expect(plainPromptTarget({ projects, default_project: "web", projects_dir: null }, 1)).toEqual({ kind: "project", alias: "web" });
  });

  it("from a projects directory: the chat's project, then default_project, then the only project, else a choice", () => {
    const dir = { projects_dir: "/projects" };
    expect(plainPromptTarget({ projects, default_project: "web", ...dir }, -100)).toEqual({ kind: "project", alias: "api" });
    expect(plainPromptTarget({ projects, default_project: "web", ...dir }, 1)).toEqual({ kind: "project", alias: "web" });
    expect(plainPromptTarget({ projects: { web: {} }, default_project: null, ...dir }, 1)).toEqual({ kind: "project", alias: "web" });
    expect(plainPromptTarget({ projects, default_project: null, ...dir }, 1)).toEqual({ kind: "choose", projects: ["api", "web"] });
    expect(plainPromptTarget({ projects: {}, default_project: null, ...dir }, 1)).toEqual({ kind: "no_projects", projectsDir: "/projects" });
  });

  it("plainPromptProject is the project when no question is needed", () => {
    expect(plainPromptProject({ projects: { web: {} }, default_project: null, projects_dir: "/projects" }, 1)).toBe("web");
    expect(plainPromptProject({ projects, default_project: null, projects_dir: "/projects" }, 1)).toBeNull();
  });
});
