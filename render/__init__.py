"""The GL window process (VisPy + glfw), driven over IPC by the terminal app."""
