"""One router per screen of the console; console.app mounts them all."""
