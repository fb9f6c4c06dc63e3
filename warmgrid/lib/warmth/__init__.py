"""Community warmth (社区温度): survey scoring and its statistics, as pure functions (no
Django), so that the platform and `warmgrid warmth analyse` on plain files compute every
figure the same way. Each result states the choices behind it."""
