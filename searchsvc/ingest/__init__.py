"""Files -> `Article`: reading Markdown articles with YAML frontmatter, their dates,
slugs and bodies, and finding them in a content folder or a git history."""
