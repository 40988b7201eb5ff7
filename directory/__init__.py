"""The directory: organisations (safety-net teams, hubs, VCS, mutual-aid groups), volunteers and areas."""
