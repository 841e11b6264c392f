"""What the staff web interface needs from the service layer besides cases: its sessions."""
