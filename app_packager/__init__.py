"""Industrial app packaging: manifest, build, sign, verify, publish and the headless runtime. No Qt."""
