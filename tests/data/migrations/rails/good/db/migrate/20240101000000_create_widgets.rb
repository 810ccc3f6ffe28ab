class CreateWidgets < ActiveRecord::Migration[7.1]
  disable_ddl_transaction!

  def change
    create_table :widgets do |t|
      t.string :name, null: false
      t.timestamps
    end
    add_index :widgets, :name
    add_index :orders, :created_at, algorithm: :concurrently
    add_foreign_key :orders, :users, validate: false
  end
end
