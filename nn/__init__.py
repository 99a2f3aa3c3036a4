"""nn: neural-network building blocks on autodiff; every gradient comes from the engine."""
